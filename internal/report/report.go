// Package report writes and reads the per-row report of a run: one line per
// input row with its outcome, followed by the row's original columns, so
// that a report is itself a valid source for retry and resume.
//
// Lines are written by one goroutine as rows finish, flushed to the OS as
// soon as the writer is idle and fsynced every few seconds and at Close, so
// a crash loses at most the last seconds of outcomes. A .xlsx report cannot
// be appended to (it is a zip written at the end), so it is journalled to a
// CSV beside it while the run goes and converted when the run ends.
package report

import (
	"fmt"
	"strconv"

	"github.com/crmload/crmload/internal/connector"
)

// Fixed lists the report's own columns, in order; the source's columns follow.
var Fixed = [...]string{"row", "status", "id", "attempts", "http_status", "error"}

// Line is the outcome of one input row.
type Line struct {
	Row        int
	Status     connector.Status
	ID         string
	Attempts   int
	HTTPStatus int
	Error      string
	Values     []string // the source row's original values
}

// record renders l as report cells.
func (l Line) record() []string {
	out := make([]string, 0, len(Fixed)+len(l.Values))
	out = append(out, strconv.Itoa(l.Row), string(l.Status), l.ID, strconv.Itoa(l.Attempts), "", l.Error)
	if l.HTTPStatus != 0 {
		out[4] = strconv.Itoa(l.HTTPStatus)
	}
	return append(out, l.Values...)
}

// parseLine is the inverse of record; header gives the source width.
func parseLine(rec []string, width int) (Line, error) {
	if len(rec) != len(Fixed)+width {
		return Line{}, fmt.Errorf("has %d fields, want %d", len(rec), len(Fixed)+width)
	}
	row, err := strconv.Atoi(rec[0])
	if err != nil || row < 1 {
		return Line{}, fmt.Errorf("bad row number %q", rec[0])
	}
	st := connector.Status(rec[1])
	if !validStatus(st) {
		return Line{}, fmt.Errorf("bad status %q", rec[1])
	}
	l := Line{Row: row, Status: st, ID: rec[2], Error: rec[5], Values: append([]string(nil), rec[len(Fixed):]...)}
	if l.Attempts, err = atoiEmpty(rec[3]); err != nil {
		return Line{}, fmt.Errorf("bad attempts %q", rec[3])
	}
	if l.HTTPStatus, err = atoiEmpty(rec[4]); err != nil {
		return Line{}, fmt.Errorf("bad http_status %q", rec[4])
	}
	return l, nil
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
