package engine

import "testing"

// The rules of events.md §3.2, one table each. Defaults: I = 10 s, D = 60 s.

func TestV1ViewerAttemptLeadingEdge(t *testing.T) {
	t.Parallel()
	runRules(t, []rule{
		{name: "first attempt fires at once", steps: []step{{0, att()}}, until: 1000,
			want: []string{"0 viewerAttempt"}},
		{name: "inside the window absorbed, t-last == I fires",
			steps: []step{{0, att()}, {9999, att()}, {10000, att()}}, until: 10000,
			want: []string{"0 viewerAttempt", "10000 viewerAttempt"}},
		{name: "window counts from the last one sent, not the last attempt",
			steps: []step{{0, att()}, {6000, att()}, {12000, att()}}, until: 12000,
			want: []string{"0 viewerAttempt", "12000 viewerAttempt"}},
		{name: "a session opened while not live is an attempt",
			steps: []step{{0, conn("v1")}}, until: 0,
			want: []string{"0 viewerAttempt"}},
		{name: "a session opened inside the window is absorbed",
			steps: []step{{0, att()}, {3000, conn("v1")}}, until: 9999,
			want: []string{"0 viewerAttempt"}},
		{name: "a refused request while live is not an attempt",
			steps: []step{{0, start("f1")}, {1000, att()}, {1500, att()}}, until: 100000,
			want: []string{"0 started f1"}},
		{name: "custom interval",
			cfg:   Config{ViewerAttemptInterval: ms(2000)},
			steps: []step{{0, att()}, {1999, att()}, {2000, att()}}, until: 2000,
			want: []string{"0 viewerAttempt", "2000 viewerAttempt"}},
	})
}

func TestV2RepeatWhileViewersWait(t *testing.T) {
	t.Parallel()
	runRules(t, []rule{
		{name: "every I while a viewer waits, then D after it left",
			steps: []step{{0, conn("v1")}, {35000, disc("v1")}}, until: 200000,
			want: []string{"0 viewerAttempt", "10000 viewerAttempt", "20000 viewerAttempt", "30000 viewerAttempt", "95000 noActiveViewers"}},
		{name: "repeats stop when the stream goes live",
			steps: []step{{0, conn("v1")}, {15000, start("f1")}}, until: 100000,
			want: []string{"0 viewerAttempt", "10000 viewerAttempt", "15000 started f1", "15000 firstViewerConnection"}},
		{name: "a stream going down with viewers: V1 at that instant, then V2",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {20000, end("f1")}}, until: 40000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "20000 ended f1", "20000 viewerAttempt", "30000 viewerAttempt", "40000 viewerAttempt"}},
		{name: "repeats go on while any viewer still waits",
			steps: []step{{0, conn("v1")}, {1000, conn("v2")}, {12000, disc("v1")}, {25000, disc("v2")}}, until: 30000,
			want: []string{"0 viewerAttempt", "10000 viewerAttempt", "20000 viewerAttempt"}},
		{name: "a repeat due at an input's instant fires first and absorbs it",
			steps: []step{{0, conn("v1")}, {10000, att()}}, until: 10000,
			want: []string{"0 viewerAttempt", "10000 viewerAttempt"}},
		{name: "a refused attempt inside a waiting window does not move the repeats",
			steps: []step{{0, conn("v1")}, {5000, att()}}, until: 20000,
			want: []string{"0 viewerAttempt", "10000 viewerAttempt", "20000 viewerAttempt"}},
	})
}

func TestV3WindowResetWhenLive(t *testing.T) {
	t.Parallel()
	runRules(t, []rule{
		{name: "an attempt right after a live session fires at once",
			steps: []step{{0, att()}, {2000, start("f1")}, {4000, end("f1")}, {5000, att()}}, until: 5000,
			want: []string{"0 viewerAttempt", "2000 started f1", "4000 ended f1", "5000 viewerAttempt"}},
		{name: "viewers left waiting right after a live session: attempt at once",
			steps: []step{{0, conn("v1")}, {2000, start("f1")}, {3000, end("f1")}}, until: 3000,
			want: []string{"0 viewerAttempt", "2000 started f1", "2000 firstViewerConnection", "3000 ended f1", "3000 viewerAttempt"}},
		{name: "without a live session the window holds",
			steps: []step{{0, att()}, {5000, att()}}, until: 9000,
			want: []string{"0 viewerAttempt"}},
		{name: "a second feed does not reset anything (still live)",
			steps: []step{{0, start("f1")}, {1000, start("f2")}, {2000, end("f1")}, {3000, att()}}, until: 3000,
			want: []string{"0 started f1", "1000 started f2", "2000 ended f1"}},
	})
}

func TestV4FirstViewerConnection(t *testing.T) {
	t.Parallel()
	runRules(t, []rule{
		{name: "a viewer connecting to a live stream",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {2000, conn("v2")}}, until: 3000,
			want: []string{"0 started f1", "1000 firstViewerConnection"}},
		{name: "the stream goes live while a viewer waits: after the feed's started",
			steps: []step{{0, conn("v1")}, {4000, start("f1")}}, until: 5000,
			want: []string{"0 viewerAttempt", "4000 started f1", "4000 firstViewerConnection"}},
		{name: "once per live session while interest lasts",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {2000, disc("v1")}, {30000, conn("v2")}}, until: 40000,
			want: []string{"0 started f1", "1000 firstViewerConnection"}},
		{name: "again in a new live session",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {2000, end("f1")}, {3000, start("f2")}}, until: 3000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "2000 ended f1", "2000 viewerAttempt", "3000 started f2", "3000 firstViewerConnection"}},
		{name: "again after a noActiveViewers in the same session",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {2000, disc("v1")}, {70000, conn("v2")}}, until: 70000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "62000 noActiveViewers", "70000 firstViewerConnection"}},
		{name: "a second feed is not a new session",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {2000, start("f2")}}, until: 3000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "2000 started f2"}},
		{name: "going live with nobody connected sends none",
			steps: []step{{0, start("f1")}}, until: 100000,
			want: []string{"0 started f1"}},
	})
}

func TestV5NoActiveViewers(t *testing.T) {
	t.Parallel()
	runRules(t, []rule{
		{name: "D after the last viewer left",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {5000, disc("v1")}}, until: 200000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "65000 noActiveViewers"}},
		{name: "a viewer connecting cancels it",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {5000, disc("v1")}, {30000, conn("v2")}, {40000, disc("v2")}}, until: 200000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "100000 noActiveViewers"}},
		{name: "attempts alone arm it; an attempt restarts it",
			steps: []step{{0, att()}, {30000, att()}}, until: 200000,
			want: []string{"0 viewerAttempt", "30000 viewerAttempt", "90000 noActiveViewers"}},
		{name: "the later of the last leave and the last attempt",
			steps: []step{{0, conn("v1")}, {5000, disc("v1")}, {7000, att()}}, until: 200000,
			want: []string{"0 viewerAttempt", "67000 noActiveViewers"}},
		{name: "attempts while a viewer is connected do not start it",
			steps: []step{{0, conn("v1")}, {5000, att()}, {25000, disc("v1")}}, until: 200000,
			want: []string{"0 viewerAttempt", "10000 viewerAttempt", "20000 viewerAttempt", "85000 noActiveViewers"}},
		{name: "it runs on while the stream is live",
			steps: []step{{0, conn("v1")}, {5000, disc("v1")}, {8000, start("f1")}}, until: 200000,
			want: []string{"0 viewerAttempt", "8000 started f1", "65000 noActiveViewers"}},
		{name: "a refused request while live does not arm",
			steps: []step{{0, start("f1")}, {1000, att()}, {2000, end("f1")}}, until: 200000,
			want: []string{"0 started f1", "2000 ended f1"}},
		{name: "exactly one per period of interest",
			steps: []step{{0, att()}, {70000, att()}}, until: 500000,
			want: []string{"0 viewerAttempt", "60000 noActiveViewers", "70000 viewerAttempt", "130000 noActiveViewers"}},
		{name: "due at a connect's instant: fires first, the viewer starts a new period",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {5000, disc("v1")}, {65000, conn("v2")}}, until: 70000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "65000 noActiveViewers", "65000 firstViewerConnection"}},
		{name: "custom delay",
			cfg:   Config{NoViewersDelay: ms(5000)},
			steps: []step{{0, att()}}, until: 100000,
			want: []string{"0 viewerAttempt", "5000 noActiveViewers"}},
		{name: "a delay shorter than the interval keeps the attempt window",
			cfg:   Config{ViewerAttemptInterval: ms(10000), NoViewersDelay: ms(3000)},
			steps: []step{{0, att()}, {5000, att()}, {12000, att()}}, until: 100000,
			want: []string{"0 viewerAttempt", "3000 noActiveViewers", "8000 noActiveViewers", "12000 viewerAttempt", "15000 noActiveViewers"}},
	})
}

func TestV6OrderAndIdempotence(t *testing.T) {
	t.Parallel()
	runRules(t, []rule{
		{name: "a second connected for a connected viewer counts once",
			steps: []step{{0, start("f1")}, {100, conn("v1")}, {200, conn("v1")}, {400, disc("v1")}}, until: 100000,
			want: []string{"0 started f1", "100 firstViewerConnection", "60400 noActiveViewers"}},
		{name: "a disconnected for an unknown viewer changes nothing",
			steps: []step{{0, disc("ghost")}, {100, start("f1")}, {200, disc("ghost")}}, until: 100000,
			want: []string{"100 started f1"}},
		{name: "a second started keeps the first start time",
			steps: []step{{0, start("f1")}, {100, start("f1")}, {300, end("f1")}}, until: 1000,
			want: []string{"0 started f1", "300 ended f1"}},
		{name: "an ended for an unknown or ended feed changes nothing",
			steps: []step{{0, start("f1")}, {200, end("nope")}, {300, end("f1")}, {400, end("f1")}}, until: 1000,
			want: []string{"0 started f1", "300 ended f1"}},
		{name: "applied in the order received",
			steps: []step{{0, disc("v1")}, {0, conn("v1")}}, until: 100000,
			want: []string{"0 viewerAttempt", "10000 viewerAttempt", "20000 viewerAttempt", "30000 viewerAttempt",
				"40000 viewerAttempt", "50000 viewerAttempt", "60000 viewerAttempt", "70000 viewerAttempt",
				"80000 viewerAttempt", "90000 viewerAttempt", "100000 viewerAttempt"}},
		{name: "a signal from the past is applied at the last time seen",
			steps: []step{{10000, start("f1")}, {5000, end("f1")}}, until: 20000,
			want: []string{"10000 started f1", "10000 ended f1"}},
		{name: "a lagging attempt cannot escape the window",
			steps: []step{{20000, att()}, {15000, att()}}, until: 200000,
			want: []string{"20000 viewerAttempt", "80000 noActiveViewers"}},
	})
}
