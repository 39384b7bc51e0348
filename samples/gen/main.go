// Command gen writes the sample data in samples/data: a HubSpot-style
// contacts export as CSV and XLSX, with deliberately bad rows that
// samples/data/README.md lists. The output is deterministic: a fixed seed,
// no clock. Run it from the repository root:
//
//	go run ./samples/gen
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// contactCount is the number of data rows in the CSV, bad ones included.
const contactCount = 300

// contact is one row of the export plus what the XLSX and README need.
type contact struct {
	id                                                 int64
	first, last, email, phone, company, title, website string
	street, city, region, postal, country              string
	stage, status, source, created, notes              string

	createdAt   time.Time // parsed Create Date; zero when the text is not a date
	hasTime     bool      // createdAt carries a time of day
	phoneDigits string    // E.164 digits without "+", "" for a malformed phone
	ragged      bool      // written without its trailing Notes field
	problem     string    // what is wrong with a bad row, "" for a good one
	column      string    // the column the problem is in
	inXLSX      bool
}

func header() []string {
	return []string{
		"Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name", "Job Title",
		"Website URL", "Street Address", "City", "State/Region", "Postal Code", "Country/Region",
		"Lifecycle Stage", "Lead Status", "Original Source", "Create Date", "Notes",
	}
}

func (c *contact) fields() []string {
	f := []string{
		fmt.Sprint(c.id), c.first, c.last, c.email, c.phone, c.company, c.title,
		c.website, c.street, c.city, c.region, c.postal, c.country,
		c.stage, c.status, c.source, c.created, c.notes,
	}
	if c.ragged {
		f = f[:len(f)-1]
	}
	return f
}

func main() {
	out := flag.String("out", filepath.Join("samples", "data"), "output folder")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	contacts := generate()
	if err := writeCSV(filepath.Join(out, "hubspot-contacts.csv"), contacts); err != nil {
		return err
	}
	if err := writeXLSX(filepath.Join(out, "hubspot-contacts.xlsx"), contacts); err != nil {
		return err
	}
	return writeReadme(filepath.Join(out, "README.md"), contacts)
}

// generate draws the contacts and then spoils the planned rows.
func generate() []*contact {
	rng := rand.New(rand.NewPCG(20230315, 1042))
	g := &generator{rng: rng, id: 51234560000, emails: map[string]bool{}, phones: map[string]bool{}}
	contacts := make([]*contact, contactCount)
	for i := range contacts {
		contacts[i] = g.contact(g.place())
	}
	spoil(g, contacts)
	return contacts
}

type generator struct {
	rng    *rand.Rand
	id     int64
	emails map[string]bool
	phones map[string]bool // E.164 digits given out: one person, one number
}

func pick[T any](g *generator, s []T) T { return s[g.rng.IntN(len(s))] }

func (g *generator) place() place {
	switch n := g.rng.IntN(10); {
	case n < 6:
		return pick(g, usPlaces())
	case n < 8:
		return pick(g, ukPlaces())
	default:
		return pick(g, frPlaces())
	}
}

func (g *generator) contact(p place) *contact {
	g.id += int64(1 + g.rng.IntN(4000))
	co := pick(g, companies())
	c := &contact{
		id: g.id, first: pick(g, firstNames()), last: pick(g, lastNames()),
		company: co.name, title: pick(g, jobTitles()),
		city: p.city, region: p.region, postal: p.postal, country: p.country,
		stage: pick(g, lifecycleStages()), status: pick(g, leadStatuses()), source: pick(g, sources()),
		inXLSX: true,
	}
	c.email = g.email(c.first, c.last, co.domain)
	switch g.rng.IntN(3) {
	case 0:
		c.website = "https://www." + co.domain + ".example"
	case 1:
		c.website = co.domain + ".example"
	default:
		c.website = "http://" + co.domain + ".example/"
	}
	c.street = fmt.Sprintf("%d %s", 1+g.rng.IntN(980), pick(g, streets(p.country)))
	if p.country == "United States" && g.rng.IntN(5) == 0 {
		c.street += fmt.Sprintf(", Suite %d", 100+g.rng.IntN(9)*100)
	}
	c.phone, c.phoneDigits = g.phone(p)
	g.created(c)
	if g.rng.IntN(6) == 0 {
		c.notes = pick(g, plainNotes())
	}
	return c
}

// email makes a unique address from the name, folded to ASCII.
func (g *generator) email(first, last, domain string) string {
	f, l := slug(first), slug(last)
	local := f + "." + l
	if g.rng.IntN(4) == 0 && f != "" {
		local = f[:1] + l
	}
	addr := local + "@" + domain + ".example"
	for n := 2; g.emails[addr]; n++ {
		addr = fmt.Sprintf("%s%d@%s.example", local, n, domain)
	}
	g.emails[addr] = true
	return addr
}

// phone returns a number in one of the formats people type in the place's
// country, and its E.164 digits, never one given out before: CRMs that
// match by phone (CLOSEM) or keep phones unique (Qlara) would otherwise
// merge or refuse two sample people sharing one.
func (g *generator) phone(p place) (text, digits string) {
	for {
		text, digits = g.anyPhone(p)
		if !g.phones[digits] {
			g.phones[digits] = true
			return text, digits
		}
	}
}

// anyPhone draws a number of the place's country.
func (g *generator) anyPhone(p place) (text, digits string) {
	switch p.country {
	case "United Kingdom":
		// Not Ofcom's mobile drama range 07700 900xxx: libphonenumber
		// (and so the CRMs) call those numbers invalid.
		sub := fmt.Sprintf("0%03d", g.rng.IntN(1000))
		mid := map[string]string{"20": "7946", "29": "2018"}[p.areaCode]
		if mid == "" {
			mid = "496"
		}
		return fmt.Sprintf("+44 %s %s %s", p.areaCode, mid, sub), "44" + p.areaCode + mid + sub
	case "France":
		prefix := map[string]string{"1": "1 99 00", "2": "2 61 91", "3": "3 53 01", "4": "4 65 71", "5": "5 36 49"}[p.areaCode]
		// Not ARCEP's mobile fiction range 06 39 98: invalid for libphonenumber.
		a, b := g.rng.IntN(100), g.rng.IntN(100)
		d := "33" + strings.ReplaceAll(prefix, " ", "") + fmt.Sprintf("%02d%02d", a, b)
		if g.rng.IntN(3) == 0 {
			return "+" + d, d
		}
		return fmt.Sprintf("+33 %s %02d %02d", prefix, a, b), d
	default:
		line := fmt.Sprintf("01%02d", g.rng.IntN(100))
		d := "1" + p.areaCode + "555" + line
		switch g.rng.IntN(4) {
		case 0:
			return fmt.Sprintf("(%s) 555-%s", p.areaCode, line), d
		case 1:
			return fmt.Sprintf("%s-555-%s", p.areaCode, line), d
		case 2:
			return fmt.Sprintf("+1 %s-555-%s", p.areaCode, line), d
		default:
			return fmt.Sprintf("%s.555.%s", p.areaCode, line), d
		}
	}
}

// created sets a Create Date between 2022 and 2024, mostly in HubSpot's
// "2023-03-15 10:04" form, sometimes as a US date without time.
func (g *generator) created(c *contact) {
	start := time.Date(2022, 1, 3, 8, 0, 0, 0, time.UTC)
	t := start.Add(time.Duration(g.rng.IntN(3*365*24*60)) * time.Minute)
	if g.rng.IntN(7) == 0 {
		c.createdAt = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		c.created = t.Format("01/02/2006")
		return
	}
	c.createdAt, c.hasTime = t, true
	c.created = t.Format("2006-01-02 15:04")
}

// spoil makes the planned rows bad, each in one documented way.
func spoil(g *generator, cs []*contact) {
	at := func(num int) *contact { return cs[num-1] }
	bad := func(num int, column, problem string, inXLSX bool) *contact {
		c := at(num)
		c.column, c.problem, c.inXLSX = column, problem, inXLSX
		return c
	}
	bad(7, "Email", "missing email", true).email = ""
	c := bad(23, "Email", "invalid email: no @ sign", false)
	c.email = strings.Replace(c.email, "@", ".", 1)
	c = bad(41, "Phone Number", `invalid phone "12ab"`, true)
	c.phone, c.phoneDigits = "12ab", ""
	c = bad(58, "Create Date", `impossible date "31/02/2023"`, true)
	c.created, c.createdAt, c.hasTime = "31/02/2023", time.Time{}, false
	orig := at(12)
	c = bad(76, "Email", "duplicate of row 12's email, differing only in case", true)
	c.first, c.last, c.company, c.website = orig.first, orig.last, orig.company, orig.website
	c.email = strings.ToUpper(orig.email[:1]) + orig.email[1:]
	if i := strings.IndexByte(c.email, '@'); i >= 0 {
		c.email = c.email[:i+1] + strings.ToUpper(c.email[i+1:i+2]) + c.email[i+2:]
	}
	c = bad(93, "Notes", "ragged: the trailing Notes field is missing (17 fields, header has 18)", false)
	c.notes, c.ragged = "", true
	c = bad(118, "Email", "invalid email: two @ signs", false)
	c.email = strings.Replace(c.email, "@", "@@", 1)
	c = bad(137, "Phone Number", `invalid phone "555" (too short)`, false)
	c.phone, c.phoneDigits = "555", ""
	c = bad(160, "Create Date", `impossible date "2023-02-30 09:15"`, false)
	c.created, c.createdAt, c.hasTime = "2023-02-30 09:15", time.Time{}, false
	c = bad(184, "First Name, Last Name", "no name at all", false)
	c.first, c.last = "", ""
	boston := usPlaces()[0]
	c = bad(209, "Postal Code", `US ZIP "2134" lost its leading zero (spreadsheet damage)`, false)
	c.city, c.region, c.country = boston.city, boston.region, boston.country
	c.phone, c.phoneDigits = g.phone(boston)
	c.postal = "2134"
	bad(251, "Email", `placeholder email "n/a"`, false).email = "n/a"
}

// slug folds a name to lower-case ASCII letters, digits and hyphens.
func slug(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, s)
	if err != nil {
		folded = s
	}
	folded = strings.NewReplacer("ł", "l", "Ł", "l", "ø", "o", "Ø", "o", "þ", "th", "Þ", "th", "ß", "ss", "æ", "ae").Replace(folded)
	var b strings.Builder
	for _, r := range strings.ToLower(folded) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
