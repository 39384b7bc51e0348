package tabular

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"path"
	"strings"
)

// The sheet scanner reads the worksheet part straight from the archive, so
// it resolves a sheet name to its part itself, the way the Open Packaging
// Conventions lay it out.

// findPart looks a zip entry up as excelize does: case-insensitively, with
// backslashes read as slashes.
func findPart(zr *zip.Reader, name string) *zip.File {
	name = strings.TrimPrefix(name, "/")
	for _, f := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(f.Name, `\`, "/"), name) {
			return f
		}
	}
	return nil
}

// sheetPart resolves a sheet name to its worksheet part through the package
// relationships: _rels/.rels names the workbook part, whose sheets list and
// relationships name the worksheet part.
func sheetPart(zr *zip.Reader, sheet string) (string, error) {
	type rel struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	}
	type rels struct {
		Rel []rel `xml:"Relationship"`
	}
	var root rels
	if err := decodePart(zr, "_rels/.rels", &root); err != nil {
		return "", err
	}
	workbook := "xl/workbook.xml"
	for _, r := range root.Rel {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			workbook = resolveTarget("", r.Target)
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(zr, workbook, &wb); err != nil {
		return "", err
	}
	rid := ""
	for _, s := range wb.Sheets {
		if strings.EqualFold(s.Name, sheet) {
			rid = s.RID
			break
		}
	}
	if rid == "" {
		return "", fmt.Errorf("sheet %q not in %s", sheet, workbook)
	}
	dir, base := path.Split(workbook)
	var wbRels rels
	if err := decodePart(zr, dir+"_rels/"+base+".rels", &wbRels); err != nil {
		return "", err
	}
	for _, r := range wbRels.Rel {
		if r.ID == rid {
			return resolveTarget(dir, r.Target), nil
		}
	}
	return "", fmt.Errorf("sheet %q: relationship %s not found", sheet, rid)
}

// resolveTarget resolves a relationship target against the source part's folder.
func resolveTarget(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean("/"+dir+target), "/")
}

func decodePart(zr *zip.Reader, name string, v any) error {
	zf := findPart(zr, name)
	if zf == nil {
		return fmt.Errorf("part %s missing", name)
	}
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("open part %s: %w", name, err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("decode part %s: %w", name, err)
	}
	return nil
}
