# `make test` is the one test command: it installs what the tests need when it is
# missing (scripts/install-test-deps.sh, idempotent), then vets and runs every test
# with the race detector, then every fuzz target for a few seconds (scripts/fuzz.sh).
GO ?= go

.PHONY: test deps vet build fmt bench fuzz

test: deps vet
	$(GO) test -race -count=1 -timeout 40m ./...
	GO=$(GO) bash scripts/fuzz.sh

# Every fuzz target for FUZZTIME each (default 3s): `make fuzz FUZZTIME=60s`.
fuzz:
	GO=$(GO) FUZZTIME=$(or $(FUZZTIME),3s) bash scripts/fuzz.sh

deps:
	bash scripts/install-test-deps.sh

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on: $$out"; exit 1; fi
	$(GO) vet ./...

build:
	CGO_ENABLED=0 $(GO) build -o bin/hookcast ./cmd/hookcast

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
