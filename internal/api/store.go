package api

import (
	"context"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Store is what the API reads and writes (store.Store, either backend,
// satisfies it): accounts and their secrets, webhooks, events and the delivery
// log with its stats, portal links. Delivery leasing, stream state and pruning
// are other rooms' business.
type Store interface {
	AccountStore

	ListAccounts(ctx context.Context) ([]store.Account, error)
	GetAccount(ctx context.Context, id string) (store.Account, error)
	ListAPISecrets(ctx context.Context, accountID string) ([]store.APISecret, error)
	RevokeAPISecret(ctx context.Context, accountID string, secretID int64) error
	CreatePortalToken(ctx context.Context, t store.PortalToken) error

	CreateWebhook(ctx context.Context, w *store.Webhook) error
	GetWebhook(ctx context.Context, accountID string, id int64) (store.Webhook, error)
	ListWebhooks(ctx context.Context, accountID string, startingID int64, limit int, descending bool) ([]store.Webhook, error)
	UpdateWebhook(ctx context.Context, w *store.Webhook) error
	DeleteWebhook(ctx context.Context, accountID string, id int64) error

	GetEvent(ctx context.Context, accountID, eventID string) (store.Event, error)
	GetDelivery(ctx context.Context, accountID string, id int64) (store.Delivery, []store.Attempt, error)
	ListDeliveries(ctx context.Context, q store.DeliveryQuery) ([]store.Delivery, error)
	Resend(ctx context.Context, accountID string, ids []int64, q store.DeliveryQuery, now time.Time) ([]int64, error)
	Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error)
	Backlog(ctx context.Context, accountID string) ([]store.Backlog, error)
}

// AccountStore is what CreateAccount writes: the admin API, the first start
// of serve and `hookcast accounts create` share it.
type AccountStore interface {
	CreateAccount(ctx context.Context, a store.Account) error
	AddAPISecret(ctx context.Context, accountID string, hash []byte, label string) (store.APISecret, error)
}
