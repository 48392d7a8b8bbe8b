// Command svstatlean is svstat alone in a binary, without the rest of the
// multi-call svbridge (cobra, pflag, the bridge): the supervision benchmark
// execs it next to "svbridge svstat" to show what the multi-call binary's
// other packages cost at start-up.
package main

import (
	"os"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/svstat"
)

func main() { os.Exit(svstat.Main(cli.OS())) }
