// Oracle for test/unit/float-*.test.ts: prints what Go's strconv does for the inputs on stdin, one
// result per line. Mode "format": input lines are float64 bit patterns in hex, output is
// FormatFloat(v, 'g', -1, 64). Mode "parse": input lines are JSON strings, output is "ok <bits>" or
// "err". Mode "uint64": input bit patterns, output uint64(v) in decimal. Mode "int64": JSON strings,
// output ParseInt(s, 10, 64) or "err".
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

func main() {
	mode := os.Args[1]
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		line := in.Text()
		switch mode {
		case "format", "uint64":
			bits, err := strconv.ParseUint(line, 16, 64)
			if err != nil {
				panic(err)
			}
			v := math.Float64frombits(bits)
			if mode == "format" {
				fmt.Fprintln(out, strconv.FormatFloat(v, 'g', -1, 64))
			} else {
				fmt.Fprintln(out, uint64(v))
			}
		case "parse", "int64":
			var s string
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				panic(err)
			}
			if mode == "int64" {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					fmt.Fprintln(out, "err")
				} else {
					fmt.Fprintln(out, n)
				}
				continue
			}
			if strings.ContainsAny(s, "pP_") {
				fmt.Fprintln(out, "err")
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				fmt.Fprintln(out, "err")
			} else {
				fmt.Fprintf(out, "ok %016x\n", math.Float64bits(v))
			}
		}
	}
}
