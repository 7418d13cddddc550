package webhook

import (
	"encoding/json"
	"fmt"
)

// Millicast sends tokenId as a JSON number (e.g. "tokenId": 1187282) while
// hookcast sends it as a string; both decode into the string fields of
// MediaData and RecordingData, so a receiver handles either sender.

// UnmarshalJSON decodes a MediaData, accepting tokenId as a string or a number.
func (d *MediaData) UnmarshalJSON(b []byte) error {
	type plain MediaData // same fields, without this method
	aux := struct {
		*plain
		TokenID *flexString `json:"tokenId"`
	}{plain: (*plain)(d)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if aux.TokenID != nil {
		d.TokenID = string(*aux.TokenID)
	}
	return nil
}

// UnmarshalJSON decodes a RecordingData, accepting tokenId as a string or a number.
func (d *RecordingData) UnmarshalJSON(b []byte) error {
	type plain RecordingData
	aux := struct {
		*plain
		TokenID *flexString `json:"tokenId"`
	}{plain: (*plain)(d)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if aux.TokenID != nil {
		d.TokenID = string(*aux.TokenID)
	}
	return nil
}

// flexString is a JSON string or number, kept as text.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("tokenId: want a string or a number, got %.20s", b)
	}
	*f = flexString(n.String())
	return nil
}
