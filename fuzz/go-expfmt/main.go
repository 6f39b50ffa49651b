// The Go side of the text parser's differential fuzzing: Debian's prometheus/common expfmt.TextParser
// over many inputs in one process, built offline in GOPATH mode (see fuzz/go-differential.ts).
//
// stdin: inputs, each a little-endian uint32 length and that many bytes. stdout: one answer per input,
// a little-endian uint32 length and then 'A' and the canonical dump of the parsed families (accepted),
// 'R' and the error text (rejected), or 'P' and the panic value (the parser panicked).
//
// The dump is the one go-differential.ts computes from our model: families sorted by name, strings as
// hex of their bytes, floats as hex of their bits (any NaN as NaN), counts as decimal integers.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func f(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatUint(math.Float64bits(v), 16)
}

func s(v string) string { return hex.EncodeToString([]byte(v)) }

func dump(families map[string]*dto.MetricFamily) string {
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		mf := families[n]
		help := "-"
		if mf.Help != nil {
			help = s(mf.GetHelp())
		}
		fmt.Fprintf(&b, "F %s %s %s\n", s(n), mf.GetType().String(), help)
		for _, m := range mf.Metric {
			labels := make([]string, 0, len(m.Label))
			for _, l := range m.Label {
				labels = append(labels, s(l.GetName())+"="+s(l.GetValue()))
			}
			sort.Strings(labels)
			ts := "-"
			if m.TimestampMs != nil {
				ts = strconv.FormatInt(m.GetTimestampMs(), 10)
			}
			fmt.Fprintf(&b, "M %s ts=%s ", strings.Join(labels, ","), ts)
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				fmt.Fprintf(&b, "v=%s", f(m.GetCounter().GetValue()))
			case dto.MetricType_GAUGE:
				fmt.Fprintf(&b, "v=%s", f(m.GetGauge().GetValue()))
			case dto.MetricType_UNTYPED:
				fmt.Fprintf(&b, "v=%s", f(m.GetUntyped().GetValue()))
			case dto.MetricType_SUMMARY:
				sm := m.GetSummary()
				fmt.Fprintf(&b, "count=%d sum=%s q=", sm.GetSampleCount(), f(sm.GetSampleSum()))
				for _, q := range sm.Quantile {
					fmt.Fprintf(&b, "%s:%s;", f(q.GetQuantile()), f(q.GetValue()))
				}
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				fmt.Fprintf(&b, "count=%d sum=%s b=", h.GetSampleCount(), f(h.GetSampleSum()))
				for _, bk := range h.Bucket {
					fmt.Fprintf(&b, "%s:%d;", f(bk.GetUpperBound()), bk.GetCumulativeCount())
				}
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func parse(in []byte) (answer string) {
	defer func() {
		if r := recover(); r != nil {
			answer = "P" + fmt.Sprint(r)
		}
	}()
	var p expfmt.TextParser
	families, err := p.TextToMetricFamilies(bytes.NewReader(in))
	if err != nil {
		return "R" + err.Error()
	}
	return "A" + dump(families)
}

func main() {
	r := bufio.NewReaderSize(os.Stdin, 1<<20)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	var head [4]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return
		}
		in := make([]byte, binary.LittleEndian.Uint32(head[:]))
		if _, err := io.ReadFull(r, in); err != nil {
			fmt.Fprintln(os.Stderr, "short input:", err)
			os.Exit(1)
		}
		out := parse(in)
		binary.LittleEndian.PutUint32(head[:], uint32(len(out)))
		w.Write(head[:])
		w.WriteString(out)
	}
}
