package capacity

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// writeStat writes a /proc/PID/stat line: pid (comm) state ppid … utime stime.
func writeStat(t *testing.T, proc string, pid, ppid int, comm string, utime, stime int) {
	t.Helper()
	dir := filepath.Join(proc, strconv.Itoa(pid))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Fields 5–13 are irrelevant here; 14 and 15 are utime and stime.
	line := strconv.Itoa(pid) + " (" + comm + ") S " + strconv.Itoa(ppid) + " 1 1 0 -1 4194560 100 0 0 0 " +
		strconv.Itoa(utime) + " " + strconv.Itoa(stime) + " 0 0 20 0 1 0 100 1000 100\n"
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProcessCPU: the origin's CPU is its own plus its workers' (every
// descendant), in clock ticks of 10 ms; other processes do not count.
func TestProcessCPU(t *testing.T) {
	proc := t.TempDir()
	writeStat(t, proc, 100, 1, "nginx: master (x) y", 3, 1)
	writeStat(t, proc, 101, 100, "nginx: worker", 50, 20)
	writeStat(t, proc, 102, 101, "helper", 1, 1)
	writeStat(t, proc, 200, 1, "other", 999, 999)
	sample, err := ProcessCPU(proc, 100)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sample()
	if err != nil {
		t.Fatal(err)
	}
	if want := (3 + 1 + 50 + 20 + 1 + 1) * 10 * time.Millisecond; got != want {
		t.Errorf("CPU = %v, want %v", got, want)
	}
	if _, err := ProcessCPU(proc, 300); err == nil {
		t.Error("a process that does not exist was accepted")
	}
	if _, err := ProcessCPU(proc, -1); err == nil {
		t.Error("a negative pid was accepted")
	}
	// This very process, from the real /proc: its CPU grows as it works.
	self, err := ProcessCPU("", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	before, _ := self()
	for end := time.Now().Add(60 * time.Millisecond); time.Now().Before(end); {
	}
	if after, err := self(); err != nil || after <= before {
		t.Errorf("own CPU %v → %v (%v): want it to grow while spinning", before, after, err)
	}
}
