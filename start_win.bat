@echo off
rem Builds sora-batch in release mode (once; later runs rebuild only what changed) and runs it
rem in the folder you call it from (a double-click: this folder), with the arguments you
rem pass, e.g.  start_win.bat --dry-run
rem Double-clicked (no arguments): it shows the plan and its price first and asks before
rem spending anything, and the window stays open to the end so the summary can be read.
setlocal
set "repo=%~dp0"
set "bin=%repo%target\release\sora-batch.exe"

where cargo >nul 2>nul
if errorlevel 1 (
  echo error: cargo ^(the Rust toolchain^) is not installed.
  echo Install it from https://rustup.rs, open a new terminal, and run start_win.bat again.
  pause
  exit /b 1
)

if not exist "%bin%" (
  echo Building sora-batch in release mode ^(the first build takes a few minutes^)...
  cargo build --release --locked --manifest-path "%repo%Cargo.toml"
) else (
  cargo build --release --locked --quiet --manifest-path "%repo%Cargo.toml"
)
if errorlevel 1 (
  echo error: the build failed; the messages above say why.
  pause
  exit /b 1
)

if not "%~1"=="" goto with_arguments

rem No arguments: price first, then ask before a paid run.
"%bin%" --dry-run
if errorlevel 1 (
  echo.
  echo The dry run stopped with exit code %errorlevel%; nothing was spent.
  pause
  exit /b %errorlevel%
)
echo.
set "answer="
set /p "answer=Generate these videos now? This spends money at the provider. [y/N] "
if /i not "%answer%"=="y" if /i not "%answer%"=="yes" (
  echo Nothing was submitted.
  pause
  exit /b 0
)
"%bin%"
set code=%errorlevel%
echo.
echo sora-batch finished with exit code %code%.
pause
exit /b %code%

:with_arguments
"%bin%" %*
set code=%errorlevel%
if not "%code%"=="0" (
  echo.
  echo sora-batch stopped with exit code %code%.
  pause
)
exit /b %code%
