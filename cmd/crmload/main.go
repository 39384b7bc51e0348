// Command crmload moves contacts and leads between spreadsheets and CRM
// APIs in bulk, and accounts for every row in a report.
//
// Exit status: 0 every row succeeded; 1 some rows failed (the report says
// which); 2 the job file is invalid; 3 the run was aborted (credentials
// rejected, target unreachable, interrupted).
package main

import (
	"os"
)

func main() {
	os.Exit(Main(os.Args[1:], Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.LookupEnv}))
}
