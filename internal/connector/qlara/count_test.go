package qlara

import (
	"testing"

	"github.com/crmload/crmload/internal/connector"
)

// Qlara's contact list is a bare array with no total: the connector must
// not claim to count, or an export would show a made-up total.
func TestNoCounter(t *testing.T) {
	var c connector.Connector = &Connector{}
	if _, ok := c.(connector.Counter); ok {
		t.Error("the Qlara connector is a connector.Counter, but its API gives no total")
	}
}
