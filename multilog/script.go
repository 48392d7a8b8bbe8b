// Package multilog implements daemontools' multilog: a script of actions
// that selects lines, stamps them, and writes them to automatically rotated
// log directories, with the on-disk layout of daemontools 0.76.
package multilog

// Size and count limits of the script's s and n actions.
const (
	DefaultSize = 99999
	DefaultNum  = 10
	MinSize     = 4096
	// MaxSize is our upper clamp for s. The original clamps at 16777215;
	// like daemontools-encore we accept sizes up to 2^31-1.
	MaxSize         = 1<<31 - 1
	OriginalMaxSize = 16777215
	MinNum          = 2
	// LineMax is how many bytes of a line (timestamp included) the patterns,
	// e and =file see.
	LineMax = 1000
)

// Kind is the kind of one action of a script.
type Kind int

// The actions that act on each line.
const (
	Deselect Kind = iota // -pattern
	Select               // +pattern
	Alert                // e
	Status               // =file
	Dir                  // ./dir or /dir
)

// Action is one word of the script that acts on each line.
type Action struct {
	Kind    Kind
	Pattern string // Select, Deselect
	File    string // Status
	Dir     int    // Dir: index into Script.Dirs
}

// DirSpec is a log directory with the settings in force where it appears.
type DirSpec struct {
	Path      string
	Size      uint64
	Num       uint64
	Processor string // "" with HasProc false: none
	HasProc   bool
}

// Script is a parsed multilog script.
type Script struct {
	Timestamp bool // the first word starts with 't'
	Actions   []Action
	Dirs      []DirSpec
}

// scanUlong reads leading decimal digits as daemontools' scan_ulong does:
// no digits gives 0, overflow wraps.
func scanUlong(s string) uint64 {
	var u uint64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		u = u*10 + uint64(s[i]-'0')
	}
	return u
}

// Parse reads a script. It never fails: as in the original, a word it does
// not know (or an empty one) is ignored, and sizes and counts are clamped.
func Parse(words []string) *Script {
	sc := &Script{}
	if len(words) > 0 && len(words[0]) > 0 && words[0][0] == 't' {
		sc.Timestamp = true
	}
	size, num := uint64(DefaultSize), uint64(DefaultNum)
	proc, hasProc := "", false
	for _, w := range words {
		if w == "" {
			continue
		}
		switch w[0] {
		case 's':
			size = min(max(scanUlong(w[1:]), MinSize), MaxSize)
		case 'n':
			num = max(scanUlong(w[1:]), MinNum)
		case '!':
			proc, hasProc = w[1:], true
		case '+':
			sc.Actions = append(sc.Actions, Action{Kind: Select, Pattern: w[1:]})
		case '-':
			sc.Actions = append(sc.Actions, Action{Kind: Deselect, Pattern: w[1:]})
		case 'e':
			sc.Actions = append(sc.Actions, Action{Kind: Alert})
		case '=':
			sc.Actions = append(sc.Actions, Action{Kind: Status, File: w[1:]})
		case '.', '/':
			sc.Actions = append(sc.Actions, Action{Kind: Dir, Dir: len(sc.Dirs)})
			sc.Dirs = append(sc.Dirs, DirSpec{Path: w, Size: size, Num: num, Processor: proc, HasProc: hasProc})
		}
	}
	return sc
}
