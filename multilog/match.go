package multilog

// Match reports whether line matches pattern in multilog's own dialect:
// every byte of pattern matches itself, except '*', which matches the
// shortest run of bytes up to (not including) the first occurrence of the
// byte that follows it in pattern. A '*' at the end of pattern matches the
// rest of the line. The whole line must be consumed. This is not a shell
// glob: "*b" does not match "abb", because the '*' stops at the first 'b'.
func Match(pattern string, line []byte) bool {
	for i := 0; ; {
		if i == len(pattern) {
			return len(line) == 0
		}
		ch := pattern[i]
		i++
		if ch == '*' {
			if i == len(pattern) {
				return true
			}
			next := pattern[i]
			for {
				if len(line) == 0 {
					return false
				}
				if line[0] == next {
					break
				}
				line = line[1:]
			}
			continue
		}
		if len(line) == 0 || line[0] != ch {
			return false
		}
		line = line[1:]
	}
}
