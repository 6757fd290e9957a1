package certify

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestParseShard(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tt := range []struct {
		spec string
		env  map[string]string
		want Shard
		bad  bool
	}{
		{"", nil, Shard{}, false},
		{"2/3", nil, Shard{2, 3}, false},
		{"auto", map[string]string{EnvCompletionIndex: "0", EnvShards: "3"}, Shard{1, 3}, false},
		{"auto", map[string]string{EnvCompletionIndex: "2", EnvShards: "3"}, Shard{3, 3}, false},
		{"auto", map[string]string{EnvCompletionIndex: "3", EnvShards: "3"}, Shard{}, true},
		{"auto", map[string]string{EnvShards: "3"}, Shard{}, true},
		{"auto", map[string]string{EnvCompletionIndex: "x", EnvShards: "3"}, Shard{}, true},
		{"0/3", nil, Shard{}, true},
	} {
		got, err := ParseShard(tt.spec, env(tt.env))
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseShard(%q, %v) = %v, %v; want %v (error %v)", tt.spec, tt.env, got, err, tt.want, tt.bad)
		}
		if err != nil && !IsInputError(err) {
			t.Errorf("ParseShard(%q): %v is not an input error", tt.spec, err)
		}
	}
	if !(Shard{2, 3}).Sharded() || (Shard{1, 1}).Sharded() || !(Shard{1, 3}).First() || (Shard{2, 3}).First() || (Shard{2, 3}).String() != "2/3" {
		t.Error("Shard methods")
	}
}

func TestWaitUntil(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	var calls int
	if err := WaitUntil(ctx, start.Add(300*time.Millisecond), time.Second, func(time.Duration) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 290*time.Millisecond || calls == 0 {
		t.Errorf("waited %v with %d progress calls", waited, calls)
	}
	// Late within the tolerance: runs at once.
	if err := WaitUntil(ctx, time.Now().Add(-time.Second), 2*time.Second, nil); err != nil {
		t.Errorf("late within tolerance: %v", err)
	}
	err := WaitUntil(ctx, time.Now().Add(-10*time.Second), 5*time.Second, nil)
	var late *LateError
	if !errors.As(err, &late) || late.Missed < 10*time.Second {
		t.Fatalf("10 s late with 5 s tolerance: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := WaitUntil(cctx, time.Now().Add(time.Hour), time.Second, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}
