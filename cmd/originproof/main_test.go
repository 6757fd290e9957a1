package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"originproof": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"rc":         cmdRC,
			"waitlisten": cmdWaitListen,
			"fakeserver": cmdFakeServer,
		},
		Condition: needTool,
	})
}

// needTool answers the condition need:TOOL. A missing tool skips the script
// unless ORIGINPROOF_REQUIRE_TOOLS is set (CI sets it, so nothing that
// should run is silently skipped there).
func needTool(cond string) (bool, error) {
	tool, ok := strings.CutPrefix(cond, "need:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("ORIGINPROOF_REQUIRE_TOOLS") != "" {
			return false, fmt.Errorf("%s is required (ORIGINPROOF_REQUIRE_TOOLS is set) but not installed: apt-get install %s", tool, tool)
		}
		return false, nil
	}
	return true, nil
}

// cmdWaitListen waits (up to 10 s) until the origin whose output goes to
// FILE prints "listening on https://ADDR", and sets VAR to ADDR's port:
// waitlisten FILE VAR. Scripts start the origin with --listen 127.0.0.1:0,
// so it binds a port of its own choosing and holds it from the start.
func cmdWaitListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitlisten FILE VAR")
	}
	listening := regexp.MustCompile(`listening on https://(\S+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := os.ReadFile(ts.MkAbs(args[0]))
		if m := listening.FindSubmatch(out); m != nil {
			_, port, err := net.SplitHostPort(string(m[1]))
			if err != nil {
				ts.Fatalf("waitlisten: %s: %v", args[0], err)
			}
			ts.Setenv(args[1], port)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitlisten: no 'listening on' line in %s after 10s:\n%s", args[0], out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cmdRC runs a command and checks its exit code: rc CODE PROG ARGS...
// (the CLI contract is about exit codes, not only success or failure).
func cmdRC(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: rc CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("rc: bad exit code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("rc: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// cmdFakeServer starts a misbehaving TCP server on loopback for the rest of
// the script and puts its address in VAR: fakeserver silent|garbage VAR.
// silent accepts and never speaks; garbage answers with a non-TLS banner.
func cmdFakeServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || (args[0] != "silent" && args[0] != "garbage") {
		ts.Fatalf("usage: fakeserver silent|garbage VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("fakeserver: %v", err)
	}
	ts.Defer(func() { ln.Close() })
	mode := args[0]
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if mode == "garbage" {
					c.Write([]byte("SSH-2.0-OpenSSH_9.2p1 Debian\r\n"))
				}
				c.SetReadDeadline(time.Now().Add(30 * time.Second))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	ts.Setenv(args[1], ln.Addr().String())
}
