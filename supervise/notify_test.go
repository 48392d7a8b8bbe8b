package supervise

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseNotify(t *testing.T) {
	cases := []struct {
		in      string
		kinds   []InputKind
		text    string
		garbage bool
	}{
		{"READY=1", []InputKind{InReady}, "", false},
		{"READY=1\nSTATUS=ok now\n", []InputKind{InReady, InStatusText}, "ok now", false},
		{"MAINPID=12\nWATCHDOG=1", nil, "", false},
		{"READY=0", nil, "", false},
		{"STOPPING=1", []InputKind{InStopping}, "", false},
		{"hello", nil, "", true},
		{"=1", nil, "", true},
		{"ready=1", nil, "", true},
		{"STATUS=\xff\xfe", []InputKind{InStatusText}, "?", false},
		{"", nil, "", false},
	}
	for _, c := range cases {
		ins, garbage := ParseNotify([]byte(c.in))
		var kinds []InputKind
		text := ""
		for _, in := range ins {
			kinds = append(kinds, in.Kind)
			if in.Kind == InStatusText {
				text = in.Text
			}
		}
		if len(kinds) != len(c.kinds) || garbage != c.garbage || text != c.text {
			t.Errorf("%q: kinds %v garbage %v text %q", c.in, kinds, garbage, text)
			continue
		}
		for i := range kinds {
			if kinds[i] != c.kinds[i] {
				t.Errorf("%q: kinds %v", c.in, kinds)
			}
		}
	}
	long := "STATUS=" + strings.Repeat("x", 5000)
	ins, _ := ParseNotify([]byte(long))
	if len(ins) != 1 || len(ins[0].Text) != maxStatusText {
		t.Fatalf("long status: %d", len(ins[0].Text))
	}
}

func FuzzParseNotify(f *testing.F) {
	f.Add([]byte("READY=1\nSTATUS=hi"))
	f.Add([]byte("\x00garbage=\n=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ins, _ := ParseNotify(b)
		if len(ins) > len(b) {
			t.Fatalf("%d inputs from %d bytes", len(ins), len(b))
		}
		for _, in := range ins {
			switch in.Kind {
			case InReady, InStopping:
			case InStatusText:
				if len(in.Text) > 3*maxStatusText || !utf8.ValidString(in.Text) {
					t.Fatalf("status text %q", in.Text)
				}
			default:
				t.Fatalf("kind %d", in.Kind)
			}
		}
	})
}
