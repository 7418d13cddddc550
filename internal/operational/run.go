package operational

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/webhook"
)

// Run stores and sends the queued events, and looks for expiring secrets every
// ScanEvery, until ctx is done.
func (n *Notifier) Run(ctx context.Context) error {
	scan := time.NewTicker(n.opts.ScanEvery)
	defer scan.Stop()
	n.scanExpiring(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case it := <-n.ch:
			n.deliver(ctx, it)
		case <-scan.C:
			n.scanExpiring(ctx)
		}
	}
}

// scanExpiring reports secretExpiring for the previous secrets that stop
// being valid within ExpiringAhead (each once, across replicas).
func (n *Notifier) scanExpiring(ctx context.Context) {
	now := n.opts.Now()
	ws, err := n.st.ClaimExpiringSecrets(ctx, now, now.Add(n.opts.ExpiringAhead))
	if err != nil {
		if ctx.Err() == nil {
			n.opts.Logger.Warn("operational: look for expiring secrets", "err", err)
		}
		return
	}
	for _, w := range ws {
		d := about(&w)
		d.ExpiresAt = rfc3339(w.PreviousSecretExpiresAt)
		n.report(w, webhook.SecretExpiring, d)
	}
}

// deliver stores the event with a delivery to each operational webhook of its
// account but its subject (skipped while disabled), and sends it to the
// operator URL.
func (n *Notifier) deliver(ctx context.Context, it item) {
	now := n.opts.Now()
	stored := false
	err := n.st.InTx(ctx, func(tx store.Tx) error {
		stored = false
		hooks, err := tx.WebhooksFor(ctx, it.ev.AccountID, webhook.TypeOperational)
		if err != nil {
			return err
		}
		var ds []store.Delivery
		for _, h := range hooks {
			if h.ID == it.subject {
				continue // never about itself
			}
			state := store.DeliveryPending
			if h.Disabled && (h.DisabledUntil.IsZero() || now.Before(h.DisabledUntil)) {
				state = store.DeliverySkipped
			}
			ds = append(ds, store.Delivery{WebhookID: h.ID, State: state, NextAttemptAt: now, CreatedAt: now})
		}
		if len(ds) == 0 {
			return nil
		}
		ev := it.ev
		ev.CreatedAt = now
		_, err = tx.InsertEvents(ctx, []store.NewEvent{{Event: ev, Deliveries: ds}})
		stored = err == nil
		return err
	})
	switch {
	case err != nil:
		if ctx.Err() == nil {
			n.opts.Logger.Warn("operational: store event", "event", it.ev.Event, "account", it.ev.AccountID, "err", err)
		}
	case stored && n.opts.Wake != nil:
		n.opts.Wake()
	}
	if n.signer != nil {
		n.toOperator(ctx, it.ev)
	}
}

// toOperator POSTs ev to the operator URL, signed, retrying a failure twice.
func (n *Notifier) toOperator(ctx context.Context, ev store.Event) {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
		if err = n.post(ctx, ev); err == nil {
			return
		}
	}
	n.opts.Logger.Warn("operational: operator webhook", "event", ev.Event, "err", err)
}

func (n *Notifier) post(ctx context.Context, ev store.Event) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.opts.OperatorURL, bytes.NewReader(ev.Body))
	if err != nil {
		return err
	}
	ts := n.opts.Now().Unix()
	req.Header.Set("Content-Type", webhook.ContentTypeJSON)
	req.Header.Set(webhook.HeaderSignature, n.signer.Millicast(ev.Body))
	req.Header.Set(webhook.HeaderWebhookID, ev.ID)
	req.Header.Set(webhook.HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(webhook.HeaderWebhookSignature, n.signer.Standard(ev.ID, ts, ev.Body))
	resp, err := n.opts.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
