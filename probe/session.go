package probe

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"
)

// SessionCache is a client session cache that keeps the last session it
// was given and offers it whatever server name the connection is for: a
// session made with one name can be offered to another
// (resumption.cross-host) or, saved, to a later run
// (resumption.after-rotation). Go's own caches are keyed by server name,
// which is what these probes must get around.
type SessionCache struct {
	mu sync.Mutex
	cs *tls.ClientSessionState
}

// Get returns the kept session, whatever the key.
func (c *SessionCache) Get(string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cs, c.cs != nil
}

// Put keeps cs (nil drops the kept session, as crypto/tls asks when a
// session turns out unusable).
func (c *SessionCache) Put(_ string, cs *tls.ClientSessionState) {
	c.mu.Lock()
	c.cs = cs
	c.mu.Unlock()
}

// Has says whether a session is kept.
func (c *SessionCache) Has() bool {
	_, ok := c.Get("")
	return ok
}

// SavedSession is a kept session written down, with where it was made.
type SavedSession struct {
	Addr       string    `json:"addr"`
	ServerName string    `json:"server_name"`
	Saved      time.Time `json:"saved"`
	// Ticket and State are what crypto/tls needs to resume: the server's
	// ticket and the client's state, which holds the session secret.
	Ticket []byte `json:"ticket"`
	State  []byte `json:"state"`
}

// Save writes the kept session down for the target t.
func (c *SessionCache) Save(t Target, now time.Time) (SavedSession, error) {
	cs, ok := c.Get("")
	if !ok {
		return SavedSession{}, errors.New("probe: no session to save")
	}
	ticket, state, err := cs.ResumptionState()
	if err != nil {
		return SavedSession{}, fmt.Errorf("probe: session: %w", err)
	}
	if state == nil {
		return SavedSession{}, errors.New("probe: the session cannot be resumed")
	}
	raw, err := state.Bytes()
	if err != nil {
		return SavedSession{}, fmt.Errorf("probe: session: %w", err)
	}
	return SavedSession{Addr: t.Addr, ServerName: t.ServerName, Saved: now.UTC(), Ticket: ticket, State: raw}, nil
}

// Cache returns a SessionCache holding the saved session.
func (s SavedSession) Cache() (*SessionCache, error) {
	state, err := tls.ParseSessionState(s.State)
	if err != nil {
		return nil, fmt.Errorf("probe: saved session: %w", err)
	}
	cs, err := tls.NewResumptionState(s.Ticket, state)
	if err != nil {
		return nil, fmt.Errorf("probe: saved session: %w", err)
	}
	c := &SessionCache{}
	c.Put("", cs)
	return c, nil
}
