package jobs

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Bounds on a job file. A job is a page of YAML; these only stop a hostile
// or broken file from exhausting memory before it is even checked.
const (
	maxJobBytes = 1 << 20 // 1 MiB
	// maxJobNodes bounds the nodes a job expands to once aliases are
	// followed: a "billion laughs" file of 7 levels of 10 aliases made the
	// decoder take 1.2 GB.
	maxJobNodes = 100_000
)

// checkExpansion parses data to its syntax tree (no alias is expanded
// there) and refuses a document that would expand to more than maxJobNodes
// nodes.
func checkExpansion(data []byte) error {
	if len(data) > maxJobBytes {
		return fmt.Errorf("the job file is %d bytes, over the %d-byte limit for a job", len(data), maxJobBytes)
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil // the decoder reports syntax errors with their position
	}
	c := &expansion{anchors: map[string]int{}}
	for _, d := range f.Docs {
		if d.Body != nil {
			c.total += c.size(d.Body)
		}
		if c.total > maxJobNodes {
			return fmt.Errorf("the job file expands to more than %d YAML nodes through its aliases (&anchor/*alias); a job needs far fewer", maxJobNodes)
		}
	}
	return nil
}

// expansion computes expanded sizes, anchors being defined before their
// aliases in YAML, so one pass in document order knows every alias's size.
type expansion struct {
	anchors map[string]int
	total   int
}

// size returns the number of nodes n stands for with aliases expanded. It
// saturates at maxJobNodes+1 so the sums cannot overflow.
func (c *expansion) size(n ast.Node) int {
	s := 1
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, v := range n.Values {
			s += c.size(v)
		}
	case *ast.MappingValueNode:
		if n.Key != nil {
			s += c.size(n.Key)
		}
		if n.Value != nil {
			s += c.size(n.Value)
		}
	case *ast.SequenceNode:
		for _, v := range n.Values {
			s += c.size(v)
		}
	case *ast.TagNode:
		if n.Value != nil {
			s += c.size(n.Value)
		}
	case *ast.AnchorNode:
		if n.Value != nil {
			s += c.size(n.Value)
		}
		if n.Name != nil {
			c.anchors[n.Name.String()] = s
		}
	case *ast.AliasNode:
		if n.Value != nil {
			s += c.anchors[n.Value.String()]
		}
	}
	return min(s, maxJobNodes+1)
}
