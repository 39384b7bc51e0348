//go:build !race

package mapping

// raceEnabled is true in a -race build, where libphonenumber runs about
// ten times slower: the differential test then checks a sample.
const raceEnabled = false
