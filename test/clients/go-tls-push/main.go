// A real Go pusher over TLS for the integration tests, built offline against Debian's client_golang
// (GOPATH mode): push.New(url, job).BasicAuth(user, password).Client(an http.Client whose transport has
// a tls.Config with the test's CA and, if given, a client certificate).
//
//	go-tls-push push|add|delete <url> <job> <instance> <ca file> <cert file|-> <key file|-> <user|-> <password>
//
// push (PUT) and add (POST) send one gauge go_tls_value{} = 7 (add: go_tls_added = 8); delete removes the
// group. Exits 0 on success, else 1 with the client's error on stderr.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
)

func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	cfg := &tls.Config{RootCAs: pool}
	if certFile != "-" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

func run(args []string) error {
	if len(args) != 9 {
		return fmt.Errorf("usage: go-tls-push push|add|delete <url> <job> <instance> <ca> <cert|-> <key|-> <user|-> <password>")
	}
	mode, url, job, instance, user, password := args[0], args[1], args[2], args[3], args[7], args[8]
	cfg, err := tlsConfig(args[4], args[5], args[6])
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	p := push.New(url, job).Grouping("instance", instance).Client(client)
	if user != "-" {
		p = p.BasicAuth(user, password)
	}
	switch mode {
	case "push":
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_tls_value", Help: "Pushed over TLS."})
		g.Set(7)
		return p.Collector(g).Push()
	case "add":
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_tls_added", Help: "Added over TLS."})
		g.Set(8)
		return p.Collector(g).Add()
	case "delete":
		return p.Delete()
	}
	return fmt.Errorf("unknown mode %q", mode)
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
