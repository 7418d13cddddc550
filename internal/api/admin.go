package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/store"
)

const (
	maxNameBytes  = 200
	maxLabelBytes = 200
	// accountIDAlphabet and accountIDLen shape generated ids like Millicast's ("ZG6NWV").
	accountIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	accountIDLen      = 6
)

type newAccountJSON struct {
	AccountID string `json:"accountId"`
	Name      string `json:"name"`
	SecretID  int64  `json:"secretId"`
	APISecret string `json:"apiSecret"`
}

type accountJSON struct {
	AccountID string `json:"accountId"`
	Name      string `json:"name"`
	CreatedAt string `json:"createdAt"`
}

type newSecretJSON struct {
	ID        int64  `json:"id"`
	APISecret string `json:"apiSecret"`
}

type secretJSON struct {
	ID        int64   `json:"id"`
	Label     string  `json:"label"`
	CreatedAt string  `json:"createdAt"`
	RevokedAt *string `json:"revokedAt"` // null while the secret is valid
}

// NewAccountID returns a random id in Millicast's style: six upper-case letters or digits.
func NewAccountID() (string, error) {
	b, err := randomBytes(accountIDLen)
	if err != nil {
		return "", err
	}
	for i := range b {
		// 256 % 36 != 0 leaves a slight bias; irrelevant for an identifier.
		b[i] = accountIDAlphabet[int(b[i])%len(accountIDAlphabet)]
	}
	return string(b), nil
}

// createAccount is POST /api/admin/accounts {"accountId"?, "name"?}: the account and
// its first API secret, shown only in this answer. A given id that exists is a 409;
// a generated one that collides is drawn again.
func (a *API) createAccount(r *http.Request, _ string) (any, error) {
	o, err := readObject(r, true, "accountId", "name")
	if err != nil {
		return nil, err
	}
	id := o.string("accountId", 64)
	if id != nil && !namePattern.MatchString(*id) {
		o.setFail("accountId", "must be 1 to 64 letters, digits, '_', '-' or '.'")
	}
	acc := store.Account{CreatedAt: a.d.Now()}
	if n := o.string("name", maxNameBytes); n != nil {
		acc.Name = *n
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	acc.ID = ""
	if id != nil {
		acc.ID = *id
	}
	na, err := CreateAccount(r.Context(), a.d.Store, acc)
	if errors.Is(err, store.ErrConflict) {
		return nil, httpErr(http.StatusConflict, "account %s already exists", acc.ID)
	}
	if err != nil {
		return nil, err
	}
	return newAccountJSON{AccountID: na.ID, Name: acc.Name, SecretID: na.SecretID, APISecret: na.APISecret}, nil
}

// NewAccount is a created account and its first API secret, shown only once.
type NewAccount struct {
	ID        string
	SecretID  int64
	APISecret string
}

// CreateAccount creates acc and its first API secret. With acc.ID empty an id is
// drawn (again on a collision); a given id that exists is store.ErrConflict. The
// admin API, the first start of serve and `hookcast accounts create` all use it.
func CreateAccount(ctx context.Context, st AccountStore, acc store.Account) (NewAccount, error) {
	given := acc.ID != ""
	var err error
	for try := 0; ; try++ {
		if !given {
			if acc.ID, err = NewAccountID(); err != nil {
				return NewAccount{}, err
			}
		}
		err = st.CreateAccount(ctx, acc)
		if !errors.Is(err, store.ErrConflict) || given {
			break
		}
		if try == 10 {
			return NewAccount{}, fmt.Errorf("create account: no free id after %d tries: %w", try+1, err)
		}
	}
	if err != nil {
		return NewAccount{}, fmt.Errorf("create account %s: %w", acc.ID, err)
	}
	sec, err := addSecret(ctx, st, acc.ID, "initial")
	if err != nil {
		return NewAccount{}, err
	}
	return NewAccount{ID: acc.ID, SecretID: sec.ID, APISecret: sec.APISecret}, nil
}

func (a *API) newAPISecret(r *http.Request, accountID, label string) (newSecretJSON, error) {
	return addSecret(r.Context(), a.d.Store, accountID, label)
}

// addSecret makes a new API secret for the account, keeping only its hash.
func addSecret(ctx context.Context, st AccountStore, accountID, label string) (newSecretJSON, error) {
	secret, err := auth.NewSecret()
	if err != nil {
		return newSecretJSON{}, err
	}
	s, err := st.AddAPISecret(ctx, accountID, auth.HashSecret(secret), label)
	if err != nil {
		return newSecretJSON{}, storeErr(err, "account")
	}
	return newSecretJSON{ID: s.ID, APISecret: secret}, nil
}

func (a *API) listAccounts(r *http.Request, _ string) (any, error) {
	accs, err := a.d.Store.ListAccounts(r.Context())
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out := make([]accountJSON, len(accs))
	for i, acc := range accs {
		out[i] = accountJSON{AccountID: acc.ID, Name: acc.Name, CreatedAt: formatTime(acc.CreatedAt)}
	}
	return out, nil
}

// account resolves the {accountId} path value to an existing account.
func (a *API) account(r *http.Request) (string, error) {
	id := r.PathValue("accountId")
	if !namePattern.MatchString(id) {
		return "", httpErr(http.StatusNotFound, "account not found")
	}
	if _, err := a.d.Store.GetAccount(r.Context(), id); err != nil {
		return "", storeErr(err, "account")
	}
	return id, nil
}

// addSecret is POST /api/admin/accounts/{id}/secrets {"label"?}.
func (a *API) addSecret(r *http.Request, _ string) (any, error) {
	id, err := a.account(r)
	if err != nil {
		return nil, err
	}
	o, err := readObject(r, true, "label")
	if err != nil {
		return nil, err
	}
	var label string
	if l := o.string("label", maxLabelBytes); l != nil {
		label = *l
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	return a.newAPISecret(r, id, label)
}

// listSecrets shows an account's secrets without their values (only hashes are kept).
func (a *API) listSecrets(r *http.Request, _ string) (any, error) {
	id, err := a.account(r)
	if err != nil {
		return nil, err
	}
	secs, err := a.d.Store.ListAPISecrets(r.Context(), id)
	if err != nil {
		return nil, storeErr(err, "account")
	}
	out := make([]secretJSON, len(secs))
	for i, s := range secs {
		out[i] = secretJSON{ID: s.ID, Label: s.Label, CreatedAt: formatTime(s.CreatedAt), RevokedAt: optTime(s.RevokedAt)}
	}
	return out, nil
}

// revokeSecret is DELETE /api/admin/accounts/{id}/secrets/{secretId}.
func (a *API) revokeSecret(r *http.Request, _ string) (any, error) {
	id, err := a.account(r)
	if err != nil {
		return nil, err
	}
	sid, err := pathID(r, "secretId", "secret")
	if err != nil {
		return nil, err
	}
	if err := a.d.Store.RevokeAPISecret(r.Context(), id, sid); err != nil {
		return nil, storeErr(err, "secret")
	}
	return true, nil
}
