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

/// How far a list screen's selection moves for a navigation action, or `None` for any other
/// action: a row, a page (the list's height; half pages move a page too), or to either end.
pub fn list_step(action: Action, ctx: &Ctx) -> Option<i64> {
    let page = i64::from(ctx.vp.rows.height.max(1));
    Some(match action {
        Action::Down => 1,
        Action::Up => -1,
        Action::Top => i64::MIN / 2,
        Action::Bottom => i64::MAX / 2,
        Action::PageDown | Action::HalfPageDown => page,
        Action::PageUp | Action::HalfPageUp => -page,
        _ => return None,
    })
}

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
