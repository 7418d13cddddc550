package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// scraperSpec is what the scraper process reads: where serve answers.
type scraperSpec struct{ Base string }

// scrapeStats is one of its readings: the times of one GET /healthz and then
// one GET /metrics, and what the soak reads from the metrics.
type scrapeStats struct {
	Healthz, Metrics int64 // ns
	soakReading
	Error string `json:",omitempty"`
}

// runScraper is the soak's Prometheus: a process of its own, as a real scraper
// is, so its requests do not queue behind the load's and the receiver's
// goroutines for one of the load process's 2 Ps (when every P has work, Go
// polls the network only every few milliseconds). It answers every line of in
// with a scrapeStats. Its client asks for gzip, as Prometheus does.
func runScraper(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	var spec scraperSpec
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	if err := json.Unmarshal(line, &spec); err != nil {
		return err
	}
	c := &http.Client{Timeout: 30 * time.Second}
	enc := json.NewEncoder(out)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var s scrapeStats
		t0 := time.Now()
		err := getWith(c, spec.Base+"/healthz")
		s.Healthz = int64(time.Since(t0))
		if err == nil {
			t0 = time.Now()
			var page []byte
			page, err = fetchMetrics(c, spec.Base)
			s.Metrics = int64(time.Since(t0))
			s.soakReading = parseSoak(page)
		}
		if err != nil {
			s.Error = err.Error()
		}
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return sc.Err()
}

// promAccept is the Accept header of a Prometheus 2.x/3.x scrape.
const promAccept = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

// getWith reads url to its end with c.
func getWith(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
