package webhook

import "time"

// TypeOperational is hookcast's own webhook type (not Millicast's): events
// about the webhooks themselves, sent to webhooks with isOperationalHooks (never
// about themselves) and to the operator URL, signed like every event.
const TypeOperational = "operational"

// Events of TypeOperational.
const (
	// WebhookDisabled: a webhook was disabled (a 410 answer, or too many
	// failures); Data says why and until when (empty: until re-enabled).
	WebhookDisabled = "webhookDisabled"
	// WebhookEnabled: a disabled webhook was re-enabled (reEnable, or a new URL).
	WebhookEnabled = "webhookEnabled"
	// DeliveryExhausted: a delivery was given up (no more attempts will be
	// made); Data has its last status and error.
	DeliveryExhausted = "deliveryExhausted"
	// SecretExpiring: a renewed webhook's previous secret stops being valid
	// within the hour (Data.ExpiresAt).
	SecretExpiring = "secretExpiring"
)

// OperationalEvent is an event of TypeOperational.
type OperationalEvent struct {
	Type      string          `json:"type"`
	Event     string          `json:"event"`
	Timestamp int64           `json:"timestamp"`
	Data      OperationalData `json:"data"`
}

// OperationalData is what an operational event is about: always a webhook of
// the account, and for each event the fields named in its doc.
type OperationalData struct {
	AccountID string `json:"accountId"`
	WebhookID int64  `json:"webhookId"`
	URL       string `json:"url"`
	// webhookDisabled
	Reason string `json:"reason,omitempty"`
	Until  string `json:"until,omitempty"` // RFC 3339; empty: until re-enabled
	// deliveryExhausted
	DeliveryID int64  `json:"deliveryId,omitempty"`
	EventID    string `json:"eventId,omitempty"`
	EventType  string `json:"eventType,omitempty"`
	EventName  string `json:"eventName,omitempty"`
	Attempts   int    `json:"attempts,omitempty"`
	LastStatus int    `json:"lastStatus,omitempty"` // 0: no answer (a connection error)
	LastError  string `json:"lastError,omitempty"`
	// secretExpiring
	ExpiresAt string `json:"expiresAt,omitempty"` // RFC 3339
}

func (e *OperationalEvent) WebhookType() string { return TypeOperational }
func (e *OperationalEvent) EventName() string {
	for _, n := range []string{WebhookDisabled, WebhookEnabled, DeliveryExhausted, SecretExpiring} {
		if equalFold(n, e.Event) {
			return n
		}
	}
	return e.Event
}
func (e *OperationalEvent) When() time.Time { return time.UnixMilli(e.Timestamp) }
