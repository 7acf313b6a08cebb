"""cdktf app: load and validate environments/*.yaml, then synthesize every selected environment."""

from tonebridge.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
