// Package report writes and reads the per-row report of a run: one line per
// input row with its outcome, followed by the row's original columns, so
// that a report is itself a valid source for retry and resume.
//
// Lines are written by one goroutine as rows finish, flushed to the OS as
// soon as the writer is idle and fsynced every few seconds and at Close, so
// a crash loses at most the last seconds of outcomes. A .xlsx report cannot
// be appended to (it is a zip written at the end), so it is journalled to a
// CSV beside it while the run goes and converted when the run ends.
//
// Reports hold customer data: they are created readable by their owner
// only, and never over an existing file. Their cells are copied from
// sources that may hold spreadsheet formulas, so CSV cells are neutralised
// (see Neutralise) and restored when read back. A run that stops early ends
// its report with one Rest line for the rows it never read, so that every
// row of the source is accounted for.
package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/crmload/crmload/internal/connector"
)

// Fixed lists the report's own columns, in order; the source's columns follow.
var Fixed = [...]string{"row", "status", "id", "attempts", "http_status", "error"}

// Line is the outcome of one input row, or of the rows a run never read.
type Line struct {
	Row        int
	Status     connector.Status
	ID         string
	Attempts   int
	HTTPStatus int
	Error      string
	Values     []string // the source row's original values

	// Rest marks the rows from Row to the end of the source as not read
	// (the run stopped early): the row cell reads "Row-", the status is
	// skipped and the values are blank. Such a line is not counted in a
	// Summary's Counts and Total but in its UnreadFrom.
	Rest bool
}

// maxRow bounds the row numbers a report may hold, so that a corrupt report
// cannot make Resume's RowSet grow without bound.
const maxRow = 1_000_000_000

// record renders l as report cells, neutralising formulas: the source's
// values reversibly (retry sends them again), the report's own one-way.
func (l Line) record() []string {
	out := make([]string, 0, len(Fixed)+len(l.Values))
	row := strconv.Itoa(l.Row)
	if l.Rest {
		row += "-"
	}
	out = append(out, row, string(l.Status), defuse(l.ID), strconv.Itoa(l.Attempts), "", defuse(l.Error))
	if l.HTTPStatus != 0 {
		out[4] = strconv.Itoa(l.HTTPStatus)
	}
	for _, v := range l.Values {
		out = append(out, Neutralise(v))
	}
	return out
}

// parseLine is the inverse of record; width is the source's. restore says
// whether the source values were neutralised (CSV) or not (a finished
// .xlsx, whose values the conversion restored).
func parseLine(rec []string, width int, restore bool) (Line, error) {
	if len(rec) != len(Fixed)+width {
		return Line{}, fmt.Errorf("has %d fields, want %d", len(rec), len(Fixed)+width)
	}
	var l Line
	num, rest := strings.CutSuffix(rec[0], "-")
	row, ok := rowNumber(num)
	if !ok {
		return Line{}, fmt.Errorf("bad row number %q", rec[0])
	}
	l.Row, l.Rest = row, rest
	l.Status = connector.Status(rec[1])
	if !validStatus(l.Status) || rest && l.Status != connector.Skipped {
		return Line{}, fmt.Errorf("bad status %q", rec[1])
	}
	l.ID, l.Error = rec[2], rec[5]
	var err error
	if l.Attempts, err = atoiEmpty(rec[3]); err != nil {
		return Line{}, fmt.Errorf("bad attempts %q", rec[3])
	}
	if l.HTTPStatus, err = atoiEmpty(rec[4]); err != nil {
		return Line{}, fmt.Errorf("bad http_status %q", rec[4])
	}
	l.Values = make([]string, width)
	for i, v := range rec[len(Fixed):] {
		if restore {
			v = Restore(v)
		}
		l.Values[i] = v
	}
	return l, nil
}

// rowNumber parses a row number: digits only, from 1 to maxRow.
func rowNumber(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= maxRow
}

func atoiEmpty(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

func validStatus(s connector.Status) bool {
	for _, v := range connector.Statuses {
		if s == v {
			return true
		}
	}
	return false
}
