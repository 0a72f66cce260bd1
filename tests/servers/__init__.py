"""Start/stop helpers for the real local servers the tests use (emulators, fakes).

Each helper binds 127.0.0.1 on a free port, waits until the server answers, writes the server's output
to a log file (so a failing start says why) and stops the process group by PID. A missing server binary
is an error, never a skip: these tests run in CI.
"""
