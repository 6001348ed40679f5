//! One component per screen: what each key does there, how it draws, and which key-map context
//! its key bar and help come from. Components take the shared [`Ctx`] and return a [`Cmd`] for
//! what reaches past them; they never see the [`crate::App`], nor each other (but the timeline
//! holds the entry detail it opens).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::ctx::{Cmd, Ctx};
use crate::keymap::{Action, Context};

pub mod compliance;
pub mod detail;
pub mod reviews;
pub mod subjects;
pub mod timeline;
pub mod verify;

/// A screen.
pub trait Component {
    /// The key-map context whose bindings apply (before the global ones).
    fn context(&self) -> Context;
    /// Performs `action`, which the key map bound in [`Component::context`].
    fn handle(&mut self, ctx: &mut Ctx, action: Action) -> Cmd;
    /// Called when the screen is shown: starts what it needs (an audit, a worker).
    fn show(&mut self, _ctx: &mut Ctx) {}
    /// Before each frame: reads what the next frame of `body` shows (`shown`: this screen is
    /// the one on screen) and keeps the selection visible.
    fn prepare(&mut self, ctx: &mut Ctx, body: Rect, shown: bool);
    /// Draws the screen in `body`. Reads nothing: [`Component::prepare`] did.
    fn draw(&self, f: &mut Frame, body: Rect, ctx: &Ctx);
    /// Its tab's label, with a badge (`Compliance ✘3`).
    fn tab(&self) -> String;
}
