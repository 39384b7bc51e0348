package mapping

import (
	"encoding/binary"
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
)

// maxDFAStates bounds a digitDFA. The patterns of libphonenumber's metadata
// need at most a few thousand states; a bigger one is left to package regexp.
const maxDFAStates = 1 << 15

// errDFATooBig reports patterns whose automaton would exceed maxDFAStates.
var errDFATooBig = errors.New("digit automaton too big")

// digitDFA matches a string of ASCII digits against up to 16 regular
// expressions in one pass, a table lookup per digit. It exists because the
// phone metadata's patterns (long alternations of area codes) cost
// package regexp microseconds per match, while numbers have ten symbols.
//
// It answers whether each whole pattern matches, the same language as
// regexp.MustCompile(`^(?:` + pattern + `)$`); leftmost-first preference
// does not matter for a yes-or-no answer. A digitDFA is immutable.
type digitDFA struct {
	next   [][10]int32 // next[s][d] is the state after digit d; -1 when nothing can match any more
	accept []uint16    // accept[s] has bit i set when pattern i matches the digits read so far
}

// match returns the patterns that match all of digits (ASCII digits only).
func (d *digitDFA) match(digits []byte) uint16 {
	s := int32(0)
	for _, c := range digits {
		if c-'0' > 9 {
			return 0 // not a digit: no pattern of digits matches
		}
		if s = d.next[s][c-'0']; s < 0 {
			return 0
		}
	}
	return d.accept[s]
}

// matchPrefix returns the patterns that match some prefix of digits,
// the empty one included: regexp.MustCompile(`^(?:` + pattern + `)`).
func (d *digitDFA) matchPrefix(digits []byte) uint16 {
	s := int32(0)
	m := d.accept[0]
	for _, c := range digits {
		if c-'0' > 9 {
			break
		}
		if s = d.next[s][c-'0']; s < 0 {
			break
		}
		m |= d.accept[s]
	}
	return m
}

// compileDigitDFA builds the automaton of patterns (at most 16), parsed as
// package regexp parses them (Perl syntax, simplified), by subset
// construction over the programs' instructions. A pattern with an
// empty-width assertion (^, $, \b) is refused: the phone metadata's
// number patterns have none.
func compileDigitDFA(patterns []string) (*digitDFA, error) {
	if len(patterns) > 16 {
		return nil, fmt.Errorf("%d patterns: at most 16", len(patterns))
	}
	b := dfaBuilder{seen: map[string]int32{}}
	starts := make([]int32, len(patterns))
	for k, p := range patterns {
		re, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		prog, err := syntax.Compile(re.Simplify())
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		base := int32(len(b.insts))
		for i := range prog.Inst {
			in := &prog.Inst[i]
			if in.Op == syntax.InstEmptyWidth {
				return nil, fmt.Errorf("pattern %q: empty-width assertions are not supported", p)
			}
			b.insts = append(b.insts, dfaInst{Inst: in, pattern: uint16(k), base: base})
		}
		starts[k] = base + int32(prog.Start)
	}
	b.marks = make([]uint32, len(b.insts))
	var start []int32
	for _, pc := range starts {
		start = b.closure(start, pc)
	}
	if len(start) == 0 { // no pattern can match: one dead state
		return &digitDFA{next: [][10]int32{{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1}}, accept: []uint16{0}}, nil
	}
	if _, err := b.state(start); err != nil {
		return nil, err
	}
	for s := 0; s < len(b.sets); s++ {
		for d := range 10 {
			var next []int32
			r := rune('0' + d)
			for _, pc := range b.sets[s] {
				if in := b.insts[pc]; matchesDigit(in.Inst, r) {
					next = b.closure(next, in.base+int32(in.Out))
				}
			}
			id, err := b.state(next)
			if err != nil {
				return nil, err
			}
			b.dfa.next[s][d] = id
		}
	}
	return &b.dfa, nil
}

// matchesDigit reports whether a rune instruction reads the digit r. (A
// match instruction reads nothing.)
func matchesDigit(in *syntax.Inst, r rune) bool {
	switch in.Op {
	case syntax.InstRuneAny, syntax.InstRuneAnyNotNL: // MatchRune says no to both
		return true
	case syntax.InstRune, syntax.InstRune1:
		return in.MatchRune(r)
	}
	return false
}

// dfaInst is an instruction of one pattern's program, in a table holding
// every pattern's program.
type dfaInst struct {
	*syntax.Inst
	pattern uint16 // which pattern
	base    int32  // where the pattern's program starts in the table
}

// dfaBuilder holds the subset construction's state.
type dfaBuilder struct {
	insts []dfaInst
	sets  [][]int32        // the instructions (rune and match only) of each state
	seen  map[string]int32 // a set's key → its state
	dfa   digitDFA
	marks []uint32 // closure's visited marks, by generation
	gen   uint32
	stack []int32
}

// closure adds to set the rune and match instructions reachable from pc
// without reading a digit.
func (b *dfaBuilder) closure(set []int32, pc int32) []int32 {
	b.gen++
	for _, x := range set {
		b.marks[x] = b.gen
	}
	b.stack = append(b.stack[:0], pc)
	for len(b.stack) > 0 {
		pc := b.stack[len(b.stack)-1]
		b.stack = b.stack[:len(b.stack)-1]
		if b.marks[pc] == b.gen {
			continue
		}
		b.marks[pc] = b.gen
		in := b.insts[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			b.stack = append(b.stack, in.base+int32(in.Arg), in.base+int32(in.Out))
		case syntax.InstCapture, syntax.InstNop:
			b.stack = append(b.stack, in.base+int32(in.Out))
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL, syntax.InstMatch:
			set = append(set, pc)
		}
		// InstFail leads nowhere; InstEmptyWidth was refused.
	}
	return set
}

// state returns the state of a set of instructions, adding it if new; an
// empty set is the dead state, -1.
func (b *dfaBuilder) state(set []int32) (int32, error) {
	if len(set) == 0 {
		return -1, nil
	}
	slices.Sort(set)
	set = slices.Compact(set)
	key := make([]byte, 0, 4*len(set))
	for _, pc := range set {
		key = binary.LittleEndian.AppendUint32(key, uint32(pc))
	}
	if id, ok := b.seen[string(key)]; ok {
		return id, nil
	}
	if len(b.sets) >= maxDFAStates {
		return 0, errDFATooBig
	}
	id := int32(len(b.sets))
	b.seen[string(key)] = id
	b.sets = append(b.sets, set)
	var acc uint16
	for _, pc := range set {
		if b.insts[pc].Op == syntax.InstMatch {
			acc |= 1 << b.insts[pc].pattern
		}
	}
	b.dfa.accept = append(b.dfa.accept, acc)
	b.dfa.next = append(b.dfa.next, [10]int32{})
	return id, nil
}
