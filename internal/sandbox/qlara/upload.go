package qlara

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// maxUpload caps an uploaded file (the collection gives no limit).
const maxUpload = 16 << 20

// column says where one recognised header puts its cells.
type column int

// Special columns; other recognised headers are a ContactFields field index + colField.
const (
	colPhone column = -1 - iota
	colEmail
	colField column = 0
)

// headerColumn recognises a header cell: the contact's JSON field names and
// a few common aliases, ignoring case, spaces, '_' and '-'.
func headerColumn(h string) (column, bool) {
	k := strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.ToLower(strings.TrimSpace(h)))
	switch k {
	case "phonenumber", "phonenumbers", "phone", "mobile", "mobilephone", "mobilephonenumber", "telephone", "cell":
		return colPhone, true
	case "email", "emailaddress", "emailaddresses", "mainemail", "mail":
		return colEmail, true
	case "name":
		k = "fullname"
	}
	t := reflect.TypeFor[ContactFields]()
	for i := range t.NumField() {
		if strings.ToLower(jsonName(t.Field(i))) == k {
			return colField + column(i), true
		}
	}
	return 0, false
}

// rowFields maps one data row onto contact fields; empty cells are not given.
func rowFields(cols map[int]column, row []string) ContactFields {
	var in ContactFields
	v := reflect.ValueOf(&in).Elem()
	for i, c := range cols {
		if i >= len(row) {
			continue
		}
		cellText := strings.TrimSpace(row[i])
		if cellText == "" {
			continue
		}
		switch {
		case c == colPhone:
			in.PhoneNumbers = append(in.PhoneNumbers, splitCell(cellText)...)
		case c == colEmail:
			in.MainEmail = &cellText
		default:
			fv := v.Field(int(c - colField))
			if fv.Kind() == reflect.Slice {
				fv.Set(reflect.ValueOf(splitCell(cellText)))
			} else {
				fv.Set(reflect.ValueOf(&cellText))
			}
		}
	}
	return in
}

func splitCell(s string) []string {
	var out []string
	for _, p := range strings.Split(s, multiSep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// readTable parses the uploaded file by its name's extension.
func readTable(name string, data []byte) ([][]string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return readDelimited(data, sniffDelimiter(data))
	case ".tsv":
		return readDelimited(data, '\t')
	case ".xlsx":
		return readXLSX(data)
	}
	return nil, badRequest("unsupported file type %q (the sandbox reads .csv, .txt, .tsv and .xlsx)", filepath.Ext(name))
}

// sniffDelimiter picks the most frequent of , ; and tab in the first line.
func sniffDelimiter(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	best, n := ',', bytes.Count(line, []byte(","))
	for _, d := range []rune{';', '\t'} {
		if c := bytes.Count(line, []byte(string(d))); c > n {
			best, n = d, c
		}
	}
	return best
}

func readDelimited(data []byte, delim rune) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, badRequest("file is not UTF-8 text")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delim
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, badRequest("file cannot be parsed: %v", err)
	}
	return rows, nil
}

func readXLSX(data []byte) ([][]string, error) {
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: 4 * maxUpload, UnzipXMLSizeLimit: 4 * maxUpload})
	if err != nil {
		return nil, badRequest("file cannot be parsed as xlsx: %v", err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil {
		return nil, badRequest("file cannot be parsed as xlsx: %v", err)
	}
	return rows, nil
}

// upload imports a file in CREATE_UPDATE mode: a row whose phone number
// belongs to a contact updates it (non-empty cells only), any other row
// creates a contact. Rows that fail validation are skipped silently, as the
// documented answer has no per-row result. It answers 200 with the first
// `limit` imported contacts.
func (f *Fake) upload(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.uploadCalls++
	f.mu.Unlock()
	preview, err := intParam(r, "limit", 10)
	if err == nil && (preview < 0 || preview > maxLimit) {
		err = badRequest("limit must be between 0 and %d, got %d", maxLimit, preview)
	}
	var removeHead *bool
	if err == nil {
		removeHead, err = boolParam(r, "removeHead")
	}
	var rows [][]string
	var listID int64
	if err == nil {
		rows, listID, err = readUpload(w, r)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	cols := map[int]column{}
	keyed := false
	for i, h := range rows[0] {
		if c, ok := headerColumn(h); ok {
			cols[i] = c
			keyed = keyed || c == colPhone || c == colEmail
		}
	}
	if !keyed {
		writeError(w, r, badRequest("no phone number or email column recognised in the first row"))
		return
	}
	if removeHead != nil && *removeHead {
		// Without removeHead the header row is offered as data too; it has
		// no valid phone or email, so it is skipped like any invalid row.
		rows = rows[1:]
	}
	f.mu.Lock()
	if listID != 0 {
		if _, ok := f.st.liveList(listID); !ok {
			f.mu.Unlock()
			writeError(w, r, badRequest("listId: contact list %d does not exist", listID))
			return
		}
	}
	out := []Contact{}
	for _, row := range rows {
		c, err := f.st.importRow(rowFields(cols, row), f.now())
		if err != nil {
			continue
		}
		if listID != 0 {
			if _, in := f.st.members[listID][c.id]; !in {
				f.st.link(Association{ID: f.st.nextAssoc, ListID: listID, ContactID: c.id})
				f.st.nextAssoc++
			}
		}
		if len(out) < preview {
			out = append(out, f.st.view(c))
		}
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// readUpload reads the multipart form: the 'file' part, the 'fileName'
// field (required: it decides the format) and an optional listId (form
// field or query parameter).
func readUpload(w http.ResponseWriter, r *http.Request) ([][]string, int64, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, 0, badRequest("file larger than %d bytes", maxUpload)
		}
		return nil, 0, badRequest("expected multipart/form-data with a 'file' part: %v", err)
	}
	defer r.MultipartForm.RemoveAll()
	name := r.FormValue("fileName")
	if name == "" {
		return nil, 0, badRequest("fileName is required")
	}
	var listID int64
	if s := r.FormValue("listId"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, 0, badRequest("listId: %q is not a numeric ID", s)
		}
		listID = id
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return nil, 0, badRequest("the 'file' part is required")
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxUpload+1))
	if err != nil {
		return nil, 0, badRequest("read file: %v", err)
	}
	if len(data) > maxUpload {
		return nil, 0, badRequest("file larger than %d bytes", maxUpload)
	}
	rows, err := readTable(name, data)
	if err != nil {
		return nil, 0, err
	}
	if len(rows) == 0 {
		return nil, 0, badRequest("file is empty")
	}
	return rows, listID, nil
}

// importRow creates or updates (matched by phone number) one uploaded row.
// An update keeps the contact's numbers and adds the row's new ones.
func (s *store) importRow(in ContactFields, now time.Time) (*contactRec, error) {
	for _, p := range in.PhoneNumbers {
		id, ok := s.byPhone[p]
		if !ok {
			continue
		}
		phones := s.contacts[id].fields.list(fieldPhoneNumbers)
		for _, q := range in.PhoneNumbers {
			if !slices.Contains(phones, q) {
				phones = append(phones, q)
			}
		}
		in.PhoneNumbers = phones
		return s.updateContact(id, in, now)
	}
	return s.createContact(in, now)
}
