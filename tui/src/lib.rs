//! igl-tui: `igl tui`, a terminal UI to browse, search and verify a ledger.
//!
//! It opens the ledger read-only ([`source::LedgerSource`]), so it runs beside an appending
//! process and never writes. The pieces:
//!
//! - [`app::App`] — the shell: the shared state ([`ctx::Ctx`]), which screen shows, the
//!   overlays ([`overlay`]), routing keys (`handle`), the mouse and ticks (`tick`, background
//!   work in bounded steps) to the screen components; no terminal IO, so tests drive it directly.
//! - [`screen`] — one component per screen: its keys, its drawing and its key-map context. They
//!   take a `&mut Ctx` and return a [`ctx::Cmd`] for what reaches past them, never the `App`.
//! - [`ui`] — the frame around the screens (tabs, status line, key bar); `App::draw` is a pure
//!   function of the state, and [`App::prepare`] reads what the frame shows beforehand (the
//!   timeline's visible rows only).
//! - [`keymap`] — one table of (keys, action, description, context) that dispatches keys and
//!   generates the key bar and the help overlay.
//! - [`source::Source`] — the reads, over a ledger (tests wrap it to count reads).
//! - [`run`] — the terminal: raw mode, alternate screen, mouse, the event loop, and restoring
//!   the terminal on exit, on error and on panic.

use std::io::{self, IsTerminal, Stdout};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;

pub mod app;
pub mod compliance;
pub mod ctx;
pub mod detail;
pub mod keymap;
pub mod overlay;
pub mod reviews;
pub mod screen;
pub mod source;
pub mod subject;
pub mod text;
pub mod theme;
pub mod timeline;
pub mod ui;
pub mod verify;
pub mod widgets;
pub mod worker;

pub use app::{App, Screen};
pub use keymap::Action;
pub use source::{LedgerSource, Source};
pub use theme::Theme;

/// Why the TUI could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Ledger(#[from] igl_ledger::LedgerError),
    #[error("terminal: {0}")]
    Terminal(#[from] io::Error),
    #[error(
        "igl tui needs a terminal (stdin and stdout must be a TTY); use `igl log` and `igl show` in scripts"
    )]
    NotATerminal,
}

/// Opens the ledger in `ledger_dir` read-only and runs the TUI until the user quits.
pub fn run(ledger_dir: &Path) -> Result<(), Error> {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(Error::NotATerminal);
    }
    // Open before touching the terminal, so a bad path is an ordinary error message.
    let source = LedgerSource::open(ledger_dir)?;
    let mut app = App::new(Box::new(source), Theme::from_env());
    let hook = PanicHook::install();
    let result = match Tty::enter() {
        Ok(mut tty) => event_loop(&mut tty.terminal, &mut app),
        Err(e) => Err(e.into()),
    };
    // The Tty is dropped (terminal restored) before anything else is printed.
    hook.uninstall();
    result
}

/// The terminal in raw mode on the alternate screen with mouse capture; restored on drop, so
/// also when the event loop returns an error.
struct Tty {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Tty {
    fn enter() -> io::Result<Tty> {
        enable_raw_mode()?;
        let entered = crossterm::execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)
            .and_then(|()| Terminal::new(CrosstermBackend::new(io::stdout())));
        match entered {
            Ok(mut terminal) => {
                terminal.clear()?;
                Ok(Tty { terminal })
            }
            Err(e) => {
                restore_terminal();
                Err(e)
            }
        }
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Leaves raw mode, the alternate screen and mouse capture, and shows the cursor. Errors are
/// ignored: this runs on the way out, possibly in a panic.
fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

type Hook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// A panic hook that restores the terminal before the panic message is printed (otherwise the
/// message is lost on the alternate screen and the shell is left in raw mode). A panic on a
/// worker thread (verify, the audit, the campaigns) leaves the terminal alone: the UI reports it
/// and carries on.
struct PanicHook {
    previous: Arc<Hook>,
}

impl PanicHook {
    fn install() -> PanicHook {
        let previous: Arc<Hook> = Arc::new(std::panic::take_hook());
        let prev = Arc::clone(&previous);
        std::panic::set_hook(Box::new(move |info| {
            match std::thread::current().name() {
                Some(verify::THREAD_NAME) => return verify::record_worker_panic(info.to_string()),
                Some(name) if name.starts_with(worker::THREAD_PREFIX) => {
                    return worker::record_panic(name, info.to_string());
                }
                _ => {}
            }
            restore_terminal();
            prev(info);
        }));
        PanicHook { previous }
    }

    fn uninstall(self) {
        let prev = self.previous;
        std::panic::set_hook(Box::new(move |info| prev(info)));
    }
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
) -> Result<(), Error> {
    loop {
        let size = terminal.size()?;
        app.prepare(Rect::new(0, 0, size.width, size.height));
        terminal.draw(|f| app.draw(f))?;
        // Poll often while background work runs (it advances between events), rarely otherwise.
        let timeout = if app.busy() {
            Duration::from_millis(10)
        } else {
            Duration::from_millis(250)
        };
        if event::poll(timeout)? {
            // Take every queued event before drawing again (key repeat, wheel bursts).
            loop {
                match event::read()? {
                    Event::Key(k) if app.handle(k) == Action::Quit => return Ok(()),
                    Event::Mouse(m) => app.mouse(m),
                    // The next draw fits the new size.
                    Event::Resize(..) => {}
                    _ => {}
                }
                if !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        app.tick();
    }
}
