@echo off
rem Builds sora-batch in release mode (once; later runs rebuild only what changed) and runs it
rem from this folder with the arguments you pass, e.g.  start_win.bat --dry-run
rem The window stays open when something goes wrong, so the message can be read.
setlocal
cd /d "%~dp0"

where cargo >nul 2>nul
if errorlevel 1 (
  echo error: cargo ^(the Rust toolchain^) is not installed.
  echo Install it from https://rustup.rs, open a new terminal, and run start_win.bat again.
  pause
  exit /b 1
)

if not exist "target\release\sora-batch.exe" (
  echo Building sora-batch in release mode ^(the first build takes a few minutes^)...
  cargo build --release --locked
) else (
  cargo build --release --locked --quiet
)
if errorlevel 1 (
  echo error: the build failed; the messages above say why.
  pause
  exit /b 1
)

"target\release\sora-batch.exe" %*
set code=%errorlevel%
if not "%code%"=="0" (
  echo.
  echo sora-batch stopped with exit code %code%.
  pause
)
exit /b %code%
