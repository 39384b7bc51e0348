package main

import "github.com/crmload/crmload/internal/report"

type reportLine = report.Line

func readAll(path string, fn func(reportLine)) error {
	return report.Read(path, func(_ []string, l report.Line) error { fn(l); return nil })
}
