package tabular

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// The reader takes from a workbook only what it needs, straight from the
// archive: the package and workbook relationships, the workbook (sheet
// names, date system), the styles' number formats, the shared strings and
// one worksheet, read as a stream. Every part's size is checked against the
// central directory before anything is unzipped, so a zip bomb or an
// oversized part is refused at Open instead of filling memory.

// Limits on what a workbook may unzip to.
const (
	// maxUnzipSize caps the total uncompressed size of a workbook; a
	// million rows of 50 short columns fit under it.
	maxUnzipSize = 4 << 30
	// maxPartSize caps every part but the worksheets and the shared
	// strings: styles, drawings, embedded files.
	maxPartSize = 256 << 20
	// maxMetaPart caps the parts decoded whole: relationships, workbook.
	maxMetaPart = 16 << 20
	// maxRatio is the compression ratio past which a part is taken for a
	// zip bomb, for parts over minRatioCheck. Deflate cannot pass ~1032:1;
	// a worksheet whose every row holds the same 1 KB text reaches 76:1
	// (TestCompressionRatioOfRepetitiveSheet).
	maxRatio      = 400
	minRatioCheck = 1 << 20
	// maxSharedText caps the shared strings' text held in memory, and
	// maxSharedStrings their number (4 bytes each for the index).
	maxSharedText    = 256 << 20
	maxSharedStrings = 16 << 20
	// maxStyles caps the cell formats read from the styles; Excel allows
	// 64,000. Cells with a style past it read as unformatted.
	maxStyles = 1 << 16
)

// workbookParts is what the reader learns about a workbook before reading
// a sheet.
type workbookParts struct {
	files    map[string]*zip.File // by lower-case name, backslashes as slashes
	sheets   []sheetRef           // in workbook order
	date1904 bool
	styles   *zip.File // nil when the workbook has none
	shared   *zip.File
}

type sheetRef struct {
	name string
	part *zip.File // nil when the relationship is missing or dangling
}

// readWorkbookParts checks the archive and resolves its structure.
func readWorkbookParts(zr *zip.Reader) (*workbookParts, error) {
	wp := &workbookParts{files: make(map[string]*zip.File, len(zr.File))}
	var total uint64
	for _, f := range zr.File {
		if err := checkRatio(f); err != nil {
			return nil, err
		}
		if total += f.UncompressedSize64; total > maxUnzipSize {
			return nil, fmt.Errorf("workbook would unzip to more than %s: refused as a possible zip bomb", formatSize(maxUnzipSize))
		}
		wp.files[partKey(f.Name)] = f
	}

	var root relationships
	if err := wp.decode("_rels/.rels", &root); err != nil {
		return nil, err
	}
	workbook := "xl/workbook.xml"
	if r, ok := root.byType("officeDocument"); ok {
		workbook = resolveTarget("", r.Target)
	}
	var wb struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := wp.decode(workbook, &wb); err != nil {
		return nil, err
	}
	wp.date1904 = wb.Pr.Date1904 == "1" || wb.Pr.Date1904 == "true"
	dir, base := path.Split(workbook)
	var rels relationships
	if f := wp.file(dir + "_rels/" + base + ".rels"); f != nil {
		if err := wp.decode(f.Name, &rels); err != nil {
			return nil, err
		}
	}
	byID := make(map[string]relationship, len(rels.Rel))
	for _, r := range rels.Rel {
		byID[r.ID] = r
	}
	isSheet := map[*zip.File]bool{}
	for _, s := range wb.Sheets {
		ref := sheetRef{name: s.Name}
		if r, ok := byID[s.RID]; ok {
			ref.part = wp.file(resolveTarget(dir, r.Target))
			if ref.part != nil && strings.HasSuffix(r.Type, "/worksheet") {
				isSheet[ref.part] = true
			}
		}
		wp.sheets = append(wp.sheets, ref)
	}
	wp.styles = wp.relPart(rels, dir, "styles", "xl/styles.xml")
	wp.shared = wp.relPart(rels, dir, "sharedStrings", "xl/sharedStrings.xml")

	// Worksheets are streamed and the shared strings capped as they are
	// read; any other part this large has no place in a table of contacts.
	for _, f := range zr.File {
		if !isSheet[f] && f != wp.shared && f.UncompressedSize64 > maxPartSize {
			return nil, fmt.Errorf("part %s would unzip to %s, over the %s limit for a part that is not a worksheet",
				f.Name, formatSize(int64(min(f.UncompressedSize64, 1<<62))), formatSize(maxPartSize))
		}
	}
	return wp, nil
}

// checkRatio refuses a part that unzips to far more than it takes.
func checkRatio(f *zip.File) error {
	if f.UncompressedSize64 < minRatioCheck {
		return nil
	}
	if f.CompressedSize64 == 0 || f.UncompressedSize64/f.CompressedSize64 > maxRatio {
		return fmt.Errorf("part %s would unzip to %s from %s, a ratio over %d:1: refused as a possible zip bomb",
			f.Name, formatSize(int64(min(f.UncompressedSize64, 1<<62))), formatSize(int64(min(f.CompressedSize64, 1<<62))), maxRatio)
	}
	return nil
}

// partKey is how part names are compared: as excelize does,
// case-insensitively, with backslashes read as slashes.
func partKey(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, `\`, "/"), "/"))
}

func (wp *workbookParts) file(name string) *zip.File { return wp.files[partKey(name)] }

// relPart finds the part of the workbook relationship of the given type,
// or the usual part when the relationship is missing.
func (wp *workbookParts) relPart(rels relationships, dir, typ, fallback string) *zip.File {
	if r, ok := rels.byType(typ); ok {
		return wp.file(resolveTarget(dir, r.Target))
	}
	return wp.file(fallback)
}

// sheet returns the sheet to read: the first one when want is empty, else
// the one named want (case-insensitively, as Excel compares names).
func (wp *workbookParts) sheet(want string) (sheetRef, error) {
	if len(wp.sheets) == 0 {
		return sheetRef{}, errors.New("workbook has no sheets")
	}
	if want == "" {
		return wp.sheets[0], nil
	}
	names := make([]string, len(wp.sheets))
	for i, s := range wp.sheets {
		if strings.EqualFold(s.name, want) {
			return s, nil
		}
		names[i] = s.name
	}
	return sheetRef{}, fmt.Errorf("no sheet named %q (sheets: %s)", want, strings.Join(names, ", "))
}

type relationship struct {
	ID     string `xml:"Id,attr"`
	Type   string `xml:"Type,attr"`
	Target string `xml:"Target,attr"`
}

type relationships struct {
	Rel []relationship `xml:"Relationship"`
}

// byType finds the relationship whose type ends in "/"+typ.
func (rs relationships) byType(typ string) (relationship, bool) {
	for _, r := range rs.Rel {
		if strings.HasSuffix(r.Type, "/"+typ) {
			return r, true
		}
	}
	return relationship{}, false
}

// resolveTarget resolves a relationship target against the source part's folder.
func resolveTarget(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean("/"+dir+target), "/")
}

// decode unmarshals a small part whole.
func (wp *workbookParts) decode(name string, v any) error {
	f := wp.file(name)
	if f == nil {
		return fmt.Errorf("part %s missing", name)
	}
	if f.UncompressedSize64 > maxMetaPart {
		return fmt.Errorf("part %s would unzip to %s, over the %s limit for it", f.Name, formatSize(int64(min(f.UncompressedSize64, 1<<62))), formatSize(maxMetaPart))
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("open part %s: %w", f.Name, err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("decode part %s: %w", f.Name, err)
	}
	return nil
}

// readStyleFormats reads what the cell formats' number formats mean. It
// streams the part: only the number formats and the cellXfs matter.
func readStyleFormats(f *zip.File) (styleFormats, error) {
	if f == nil {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open part %s: %w", f.Name, err)
	}
	defer rc.Close()
	custom := map[int]string{}
	var xfs []int // number format id per cell format, -1 for none
	d := xml.NewDecoder(rc)
	inCellXfs := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("decode part %s: %w", f.Name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				id, code, code16 := -1, "", ""
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "numFmtId":
						id = atoiOr(a.Value, -1)
					case "formatCode":
						code = a.Value
					case "formatCode16":
						code16 = a.Value
					}
				}
				if code16 != "" {
					code = code16
				}
				if id >= 0 && len(custom) < maxStyles {
					custom[id] = code
				}
			case "cellXfs":
				inCellXfs = true
			case "xf":
				if inCellXfs && len(xfs) < maxStyles {
					id := -1
					for _, a := range t.Attr {
						if a.Name.Local == "numFmtId" {
							id = atoiOr(a.Value, -1)
						}
					}
					xfs = append(xfs, id)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inCellXfs = false
			}
		}
	}
	out := make(styleFormats, len(xfs))
	for i, id := range xfs {
		if code, ok := custom[id]; ok {
			out[i] = classifyFormatCode(code)
		} else if builtinDateFormat(id) {
			out[i] = numFormat{kind: fmtDate}
		}
	}
	return out, nil
}

func atoiOr(s string, or int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return or
	}
	return n
}

// sharedStrings holds a workbook's shared strings, decoded, one after the
// other in text. A string over the cell limit is not kept: its size is.
type sharedStrings struct {
	text []byte
	ends []uint32 // end of each string in text
	big  map[int]int
}

// get returns string i, its size, and whether i exists. The text is only
// valid until the sharedStrings is dropped.
func (ss *sharedStrings) get(i int) (text []byte, size int, ok bool) {
	if i < 0 || i >= len(ss.ends) {
		return nil, 0, false
	}
	start := uint32(0)
	if i > 0 {
		start = ss.ends[i-1]
	}
	text = ss.text[start:ss.ends[i]]
	if n, ok := ss.big[i]; ok {
		return text, n, true
	}
	return text, len(text), true
}

// readSharedStrings streams the shared strings part. Each <si> is the text
// of its <t> elements, directly or in rich text runs (<r>), leaving out
// phonetic runs (<rPh>), with _xHHHH_ escapes decoded, as excelize reads it.
func readSharedStrings(f *zip.File, lim limits) (*sharedStrings, error) {
	if f == nil {
		return &sharedStrings{}, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open part %s: %w", f.Name, err)
	}
	defer rc.Close()
	ss, err := parseSharedStrings(rc, f.UncompressedSize64, lim)
	if err != nil {
		return nil, fmt.Errorf("part %s: %w", f.Name, err)
	}
	return ss, nil
}

// parseSharedStrings reads a shared strings part of size bytes.
func parseSharedStrings(r io.Reader, size uint64, lim limits) (*sharedStrings, error) {
	// Decoded text is never longer than the XML it comes from.
	ss := &sharedStrings{text: make([]byte, 0, min(size, maxSharedText))}
	x := newXMLScanner(r)
	var cur []byte
	curSize, inSI, inRPh := 0, false, false
	for {
		err := x.nextTag()
		if errors.Is(err, io.EOF) {
			return ss, nil
		}
		if err != nil {
			return nil, err
		}
		switch string(x.name) {
		case "si":
			if !x.end && !x.selfClose {
				inSI, inRPh, cur, curSize = true, false, cur[:0], 0
				continue
			}
			if x.end && !inSI {
				continue // a stray end tag
			}
			if !x.end {
				cur, curSize = cur[:0], 0 // <si/>
			} else if curSize == len(cur) { // kept whole: decode the escapes
				cur = bstrDecode(cur)
				curSize = len(cur)
			}
			inSI = false
			if curSize > lim.cell {
				if ss.big == nil {
					ss.big = map[int]int{}
				}
				ss.big[len(ss.ends)] = curSize
				cur = cur[:0]
			}
			if len(ss.text)+len(cur) > maxSharedText || len(ss.ends) >= maxSharedStrings {
				return nil, fmt.Errorf("the shared strings hold over %s of text or %d strings; save the sheet as CSV",
					formatSize(maxSharedText), maxSharedStrings)
			}
			ss.text = append(ss.text, cur...)
			ss.ends = append(ss.ends, uint32(len(ss.text)))
		case "rPh":
			inRPh = !x.end && !x.selfClose
		case "t":
			if inSI && !inRPh && !x.end && !x.selfClose {
				var n int
				if cur, n, err = x.text(cur, lim.cell+1); err != nil {
					return nil, err
				}
				curSize += n
			}
		}
	}
}
