package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"time"
)

// RunInfo is run.json: how a run was made, kept beside its results.
type RunInfo struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          string    `json:"tool"`
	Version       string    `json:"version"`
	Command       []string  `json:"command,omitempty"`
	Started       time.Time `json:"started"`
	Ended         time.Time `json:"ended"`
	Interrupted   bool      `json:"interrupted"`
	// StartAt is the start barrier the run waited for (shards of one run
	// start together), with how late it could be reached.
	StartAt        *time.Time `json:"start_at,omitempty"`
	StartTolerance Duration   `json:"start_tolerance,omitempty"`
	// ClockOffsetS is the origin's clock minus this machine's (seconds),
	// from the Date header of the run's first response.
	ClockOffsetS *float64 `json:"clock_offset_s,omitempty"`
	Machine      Machine  `json:"machine"`
	Config       Config   `json:"config"`
}

// Machine describes where the generator ran.
type Machine struct {
	Hostname   string `json:"hostname"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
}

// ThisMachine describes the machine the process runs on.
func ThisMachine() Machine {
	host, _ := os.Hostname()
	return Machine{
		Hostname:   host,
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		CPUs:       runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
	}
}

// NewRunInfo describes a finished run.
func NewRunInfo(rep *Report, version string, command []string) RunInfo {
	var offset *float64
	if rep.ClockOffsetOK {
		s := math.Round(rep.ClockOffset.Seconds()*10) / 10
		offset = &s
	}
	return RunInfo{
		ClockOffsetS:  offset,
		SchemaVersion: 1,
		Tool:          "originproof",
		Version:       version,
		Command:       command,
		Started:       rep.Started.UTC(),
		Ended:         rep.Ended.UTC(),
		Interrupted:   rep.Summary.Interrupted,
		Machine:       ThisMachine(),
		Config:        rep.Config,
	}
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("loadgen: write JSON: %w", err)
	}
	return nil
}

// WriteJSONFile writes v as indented JSON to path.
func WriteJSONFile(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteJSON(f, v); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
