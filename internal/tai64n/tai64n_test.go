package tai64n

import (
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	now := time.Unix(1700000000, 123456789)
	s := FromTime(now)
	var b [PackedSize]byte
	s.Pack(b[:])
	if got := Unpack(b[:]); got != s {
		t.Fatalf("unpack %v != %v", got, s)
	}
	if !s.Time().Equal(now) {
		t.Fatalf("time %v != %v", s.Time(), now)
	}
	l := s.Label()
	// 2^62+10+1700000000 = 0x400000006553f10a; 123456789 = 0x075bcd15
	if l != "@400000006553f10a075bcd15" {
		t.Fatalf("label %s", l)
	}
	p, ok := ParseLabel([]byte(l + " rest"))
	if !ok || p != s {
		t.Fatalf("parse %v %v", p, ok)
	}
}

func TestParseLabelRejects(t *testing.T) {
	for _, in := range []string{"", "@", "@zz", "@400000006553f10a075bcd1", "x400000006553f10a075bcd15", "@400000006553f10a075bcd1g"} {
		if _, ok := ParseLabel([]byte(in)); ok {
			t.Errorf("accepted %q", in)
		}
	}
}

func FuzzParseLabel(f *testing.F) {
	f.Add([]byte("@400000006553f10a075bcd15"))
	f.Add([]byte("@zz"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := ParseLabel(b)
		if !ok {
			return
		}
		// A parsed label re-encodes to the same digits, case folded.
		l := s.Label()
		for i := 0; i < LabelSize; i++ {
			c := b[i]
			if c >= 'A' && c <= 'F' {
				c += 'a' - 'A'
			}
			if l[i] != c {
				t.Fatalf("re-encode %q from %q", l, b[:LabelSize])
			}
		}
	})
}
