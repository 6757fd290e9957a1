package capacity

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// CPUSampler returns a process's CPU time (user + system) so far.
type CPUSampler func() (time.Duration, error)

// selfCPU is this process's CPU time (getrusage user + system): the
// generator's cost when the origin runs elsewhere.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which Linux fixes at 100 per second for user space on every architecture
// Go supports. A sample is therefore exact to 10 ms; per-step figures are
// sums over hundreds of handshakes, whole-search figures over thousands.
const clockTick = 10 * time.Millisecond

// ProcessCPU samples the CPU time of process pid and of every process
// below it (nginx and HAProxy do their work in worker processes) from
// /proc/PID/stat. It fails when the process cannot be read now.
func ProcessCPU(procDir string, pid int) (CPUSampler, error) {
	if procDir == "" {
		procDir = "/proc"
	}
	if pid <= 0 {
		return nil, fmt.Errorf("%d is not a process id", pid)
	}
	if _, _, err := readStat(procDir, pid); err != nil {
		return nil, err
	}
	return func() (time.Duration, error) { return treeCPU(procDir, pid) }, nil
}

// readStat reads the parent and the CPU time of one process from its stat
// file: fields 4 (ppid), 14 (utime) and 15 (stime), counted after the
// command name, which may hold spaces and parentheses.
func readStat(procDir string, pid int) (ppid int, cpu time.Duration, err error) {
	path := filepath.Join(procDir, strconv.Itoa(pid), "stat")
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("process %d: %w", pid, unwrapPath(err))
	}
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, 0, fmt.Errorf("%s: no command name in %q", path, data)
	}
	f := bytes.Fields(data[end+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%s: %d fields, want at least 15", path, len(f)+2)
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	utime, err2 := strconv.ParseInt(string(f[11]), 10, 64)
	stime, err3 := strconv.ParseInt(string(f[12]), 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	return ppid, time.Duration(utime+stime) * clockTick, nil
}

// treeCPU is the CPU time of pid and of its descendants alive now.
func treeCPU(procDir string, pid int) (time.Duration, error) {
	_, total, err := readStat(procDir, pid)
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return 0, err
	}
	type proc struct {
		ppid int
		cpu  time.Duration
	}
	procs := map[int]proc{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pid {
			continue
		}
		ppid, cpu, err := readStat(procDir, p)
		if err != nil {
			continue // gone meanwhile
		}
		procs[p] = proc{ppid, cpu}
	}
	// Descendants: walk each process's parents up to pid (or to the top).
	for p, pr := range procs {
		for up, seen := pr.ppid, 0; up > 0 && seen < 64; seen++ {
			if up == pid {
				total += procs[p].cpu
				break
			}
			next, ok := procs[up]
			if !ok {
				break
			}
			up = next.ppid
		}
	}
	return total, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
