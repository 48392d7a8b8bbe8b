package multilog

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkRun measures the library alone on 20..400-byte lines (the
// cross-program comparison is multilog/bench).
func BenchmarkRun(b *testing.B) {
	for _, stamp := range []bool{false, true} {
		b.Run("stamp="+strconv.FormatBool(stamp), func(b *testing.B) {
			var in bytes.Buffer
			for i := 0; in.Len() < 8<<20; i++ {
				l := 20 + (i*37)%381
				s := strconv.Itoa(i) + " "
				in.WriteString(s)
				for j := len(s); j < l-1; j++ {
					in.WriteByte('a' + byte(j%26))
				}
				in.WriteByte('\n')
			}
			b.SetBytes(int64(in.Len()))
			words := []string{"s16777215", "n3"}
			if stamp {
				words = append([]string{"t"}, words...)
			}
			for i := 0; i < b.N; i++ {
				dir := filepath.Join(b.TempDir(), "log")
				l, err := Open(Parse(append(words, dir)), Options{})
				if err != nil {
					b.Fatal(err)
				}
				l.Run(bytes.NewReader(in.Bytes()))
				os.RemoveAll(dir)
			}
		})
	}
}
