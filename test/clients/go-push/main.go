// A real Go pusher for the integration tests, built offline against Debian's client_golang (GOPATH mode).
//
//	go-push push   <url>   Push (PUT) counters, a gauge, a summary, a classic and a native histogram
//	go-push add    <url>   Add (POST) one more family to the same group and update the gauge
//	go-push other  <url>   Push a second group (job only) that "delete" removes again
//	go-push delete <url>   Delete the second group
//	go-push lifecycle <url> Push a group (job go-lifecycle) with X-Pushgateway-TTL: 1h and Interval: 1m
//	go-push snappy         framed-snappy-encode stdin to stdout (golang/snappy, the reference's codec)
//
// The main group's grouping key has a '/' in the job name, a space and an empty value, which the client
// encodes with @base64 and '+' as it does in the wild.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/golang/snappy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
)

func mainGroup(url string) *push.Pusher {
	return push.New(url, "go batch/x").Grouping("instance", "a b").Grouping("empty", "").Grouping("path", "x/y")
}

// headerDoer adds request headers to every request of a Pusher. client_golang 1.14 (Debian's) has no
// Pusher.Header(); newer releases do, and there push.New(...).Header(h) does the same.
type headerDoer struct{ header http.Header }

func (d headerDoer) Do(req *http.Request) (*http.Response, error) {
	for k, vs := range d.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return http.DefaultClient.Do(req)
}

func run(mode, url string) error {
	switch mode {
	case "push":
		counter := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "go_push_records_total", Help: "Records processed."}, []string{"kind"})
		counter.WithLabelValues("a").Add(3)
		counter.WithLabelValues("b").Add(1.5)
		gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_push_last_success_seconds", Help: "Last success."})
		gauge.Set(1234.5)
		summary := prometheus.NewSummary(prometheus.SummaryOpts{
			Name: "go_push_duration_seconds", Help: "Durations.", Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01},
		})
		histogram := prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "go_push_size_bytes", Help: "Sizes.", Buckets: []float64{10, 100, 1000},
		})
		native := prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "go_push_latency_seconds", Help: "Latency (native).", NativeHistogramBucketFactor: 1.1,
		})
		for _, v := range []float64{5, 50, 500, 5000} {
			summary.Observe(v / 1000)
			histogram.Observe(v)
			native.Observe(v / 1000)
		}
		return mainGroup(url).Collector(counter).Collector(gauge).Collector(summary).Collector(histogram).Collector(native).Push()
	case "add":
		gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_push_last_success_seconds", Help: "Last success."})
		gauge.Set(2000)
		added := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_push_added", Help: "Added by Add."})
		added.Set(7)
		return mainGroup(url).Collector(gauge).Collector(added).Add()
	case "other":
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_push_other", Help: "Other group."})
		g.Set(1)
		return push.New(url, "go-other").Collector(g).Push()
	case "delete":
		return push.New(url, "go-other").Delete()
	case "lifecycle":
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_push_lifecycle", Help: "With a TTL."})
		g.Set(1)
		h := http.Header{}
		h.Set("X-Pushgateway-TTL", "1h")
		h.Set("X-Pushgateway-Interval", "1m")
		return push.New(url, "go-lifecycle").Client(headerDoer{h}).Collector(g).Push()
	}
	return fmt.Errorf("unknown mode %q", mode)
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "snappy" {
		w := snappy.NewBufferedWriter(os.Stdout)
		if _, err := io.Copy(w, os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := w.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go-push push|add|other|delete <url> | go-push snappy")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
