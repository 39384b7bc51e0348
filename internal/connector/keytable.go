package connector

import (
	"encoding/binary"
	"errors"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The key table is the storage under the key indexes of the connectors
// whose APIs have no native upsert (Close, Qlara, Closum v1): see Indexer.
//
// It keeps hashes, never the keys' values: a key is a 96-bit sum, and what
// a connector compares is a 64-bit digest, so a record costs a few dozen
// bytes plus its id whatever its fields hold. With 96 bits, two different
// keys among a million collide with odds of about 1 in 10^17; the seeds
// are random per table, so no input can be crafted to collide.

// KeySum is the 96-bit hash of a normalised match-key value.
type KeySum [3]uint32

// ManyRecs marks, in KeyTable.keys, a key held by several records; their
// numbers are in KeyTable.many.
const ManyRecs = math.MaxUint32

// ErrTableFull is returned when the table cannot number or store more.
var ErrTableFull = errors.New("key index full: more than 4 GiB of ids or 4 billion records")

// idAlphabet is what packed ids are made of, at 6 bits a character: a
// 48-character Close id takes 38 bytes instead of 48. Text with any other
// byte is kept as it is.
const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"

// TextRef locates a record's id text in KeyTable.text: its offset (the
// text starts with its own length, so records need no length field).
type TextRef uint32

// KeyTable maps key sums to records of type R, which the connector
// defines. It does no locking: its owner holds a lock around every call.
type KeyTable[R any] struct {
	seeds [2]maphash.Seed
	keys  map[KeySum]uint32   // record number, or ManyRecs
	many  map[KeySum][]uint32 // the records of keys held by several
	recs  []R
	text  []byte // ids, packed, back to back: no string header per id
	code  [256]int8
}

func NewKeyTable[R any]() *KeyTable[R] {
	t := &KeyTable[R]{
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		keys:  map[KeySum]uint32{},
		many:  map[KeySum][]uint32{},
	}
	for i := range t.code {
		t.code[i] = int8(strings.IndexByte(idAlphabet, byte(i)))
	}
	return t
}

// sum hashes a normalised key value.
func (t *KeyTable[R]) Sum(key string) KeySum {
	a, b := maphash.String(t.seeds[0], key), maphash.String(t.seeds[1], key)
	return KeySum{uint32(a), uint32(a >> 32), uint32(b)}
}

// digest hashes canonical values in order; each is length-prefixed so
// that ("ab", "c") and ("a", "bc") differ.
func (t *KeyTable[R]) Digest(values ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(t.seeds[0])
	var n [binary.MaxVarintLen64]byte
	for _, v := range values {
		_, _ = h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
		_, _ = h.WriteString(v)
	}
	return h.Sum64()
}

// add stores a record and returns its number.
func (t *KeyTable[R]) Add(r R) (uint32, error) {
	if len(t.recs) >= ManyRecs-1 {
		return 0, ErrTableFull
	}
	t.recs = append(t.recs, r)
	return uint32(len(t.recs) - 1), nil
}

// rec returns record n for reading or changing in place.
func (t *KeyTable[R]) Rec(n uint32) *R { return &t.recs[n] }

// putText stores ids (several separated by spaces) and returns where
// they are: a uvarint of the length of what follows, then each id packed
// when it is made of idAlphabet (a uvarint of its length times two, plus
// one, then its 6-bit codes) or as it is (its length times two, then its
// bytes).
func (t *KeyTable[R]) PutText(s string) (TextRef, error) {
	var enc []byte
	for _, id := range strings.Split(s, " ") {
		packed := strings.IndexFunc(id, func(r rune) bool { return r >= 128 || t.code[r] < 0 }) < 0
		if !packed {
			enc = binary.AppendUvarint(enc, uint64(len(id))<<1)
			enc = append(enc, id...)
			continue
		}
		enc = binary.AppendUvarint(enc, uint64(len(id))<<1|1)
		var acc uint32
		bits := 0
		for j := 0; j < len(id); j++ {
			acc, bits = acc<<6|uint32(t.code[id[j]]), bits+6
			if bits >= 8 {
				bits -= 8
				enc = append(enc, byte(acc>>bits))
			}
		}
		if bits > 0 {
			enc = append(enc, byte(acc<<(8-bits)))
		}
	}
	off := len(t.text)
	if off+len(enc)+binary.MaxVarintLen64 > math.MaxUint32 {
		return 0, ErrTableFull
	}
	t.text = binary.AppendUvarint(t.text, uint64(len(enc)))
	t.text = append(t.text, enc...)
	return TextRef(off), nil
}

// textAt returns the ids stored at r, as given to putText.
func (t *KeyTable[R]) TextAt(r TextRef) string {
	if int(r) >= len(t.text) {
		return ""
	}
	n, w := binary.Uvarint(t.text[r:])
	b := t.text[int(r)+w : int(r)+w+int(n)]
	var out strings.Builder
	for first := true; len(b) > 0; first = false {
		h, w := binary.Uvarint(b)
		b = b[w:]
		if !first {
			out.WriteByte(' ')
		}
		n := int(h >> 1)
		if h&1 == 0 {
			out.Write(b[:n])
			b = b[n:]
			continue
		}
		var acc uint32
		bits := 0
		for range n {
			for bits < 6 {
				acc, bits, b = acc<<8|uint32(b[0]), bits+8, b[1:]
			}
			bits -= 6
			out.WriteByte(idAlphabet[acc>>bits&63])
		}
	}
	return out.String()
}

// trim gives back the room append left in the records and ids, once a
// build is done: up to a quarter of their size.
func (t *KeyTable[R]) Trim() {
	t.recs = slices.Clone(t.recs)
	t.text = slices.Clone(t.text)
}

// link files record n under key k; linking twice is a no-op.
func (t *KeyTable[R]) Link(k KeySum, n uint32) {
	cur, ok := t.keys[k]
	switch {
	case !ok:
		t.keys[k] = n
	case cur == n:
	case cur != ManyRecs:
		t.keys[k] = ManyRecs
		t.many[k] = []uint32{cur, n}
	case !slices.Contains(t.many[k], n):
		t.many[k] = append(t.many[k], n)
	}
}

// unlink removes record n from key k.
func (t *KeyTable[R]) Unlink(k KeySum, n uint32) {
	cur, ok := t.keys[k]
	switch {
	case !ok:
	case cur == n:
		delete(t.keys, k)
	case cur == ManyRecs:
		rest := slices.DeleteFunc(t.many[k], func(v uint32) bool { return v == n })
		switch len(rest) {
		case 0:
			delete(t.keys, k)
			delete(t.many, k)
		case 1:
			t.keys[k] = rest[0]
			delete(t.many, k)
		default:
			t.many[k] = rest
		}
	}
}

// holders returns the records filed under k (nil when none). The slice
// must not be changed.
func (t *KeyTable[R]) Holders(k KeySum) []uint32 {
	cur, ok := t.keys[k]
	switch {
	case !ok:
		return nil
	case cur == ManyRecs:
		return t.many[k]
	}
	return []uint32{cur}
}

// fold maps s to one representative of its strings.EqualFold class: each
// rune becomes the smallest rune of its simple case-folding orbit.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z':
			r -= 'a' - 'A'
		case r >= utf8.RuneSelf:
			m := r
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				m = min(m, f)
			}
			r = m
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Single returns the record filed under k when it is the only one, and how
// many records hold k (0, 1, or more when the key is ambiguous).
func (t *KeyTable[R]) Single(k KeySum) (n uint32, r R, holders int) {
	hs := t.Holders(k)
	if len(hs) != 1 {
		return 0, r, len(hs)
	}
	return hs[0], t.recs[hs[0]], 1
}

// Refile files k under r alone, dropping the records it held. When the
// table is full, k is dropped instead, so that its next write asks the API
// rather than trusting what the key held before.
func (t *KeyTable[R]) Refile(k KeySum, r R) {
	n, err := t.Add(r)
	for _, m := range slices.Clone(t.Holders(k)) {
		t.Unlink(k, m)
	}
	if err == nil {
		t.Link(k, n)
	}
}
