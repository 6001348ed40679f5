//! What every screen component shares ([`Ctx`]) and what a component asks of the shell
//! ([`Cmd`]). Components take `&mut Ctx` instead of the [`crate::App`], so they never depend on
//! it.

use std::collections::HashMap;

use igl_ledger::KeyRecord;
use igl_schema::{PublicKey, Timestamp};
use ratatui::layout::Rect;

use crate::overlay::PromptKind;
use crate::source::Source;
use crate::theme::Theme;

/// How a status message reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Warn,
    Bad,
}

/// Sizes from the last [`crate::App::prepare`], for page moves and mouse hits.
#[derive(Clone, Copy, Debug, Default)]
pub struct Viewport {
    pub area: Rect,
    /// The timeline's rows area (without the header).
    pub rows: Rect,
    pub detail_height: u16,
    pub detail_lines: u16,
    pub help_height: u16,
    pub help_lines: u16,
}

/// Key records by public key, read once each (a ledger has few keys).
#[derive(Default)]
pub struct Authors(HashMap<PublicKey, Option<KeyRecord>>);

impl Authors {
    /// A key's record; a key that cannot be read shows as not enrolled (the detail's checks say
    /// more).
    pub fn get(&mut self, source: &dyn Source, pk: &PublicKey) -> Option<KeyRecord> {
        if let Some(k) = self.0.get(pk) {
            return k.clone();
        }
        let k = source.key(pk).ok().flatten();
        self.0.insert(*pk, k.clone());
        k
    }
}

/// The state every screen shares: the ledger, the styles, "now", the authors read so far, the
/// status line and the sizes of the last frame.
pub struct Ctx {
    pub source: Box<dyn Source>,
    pub theme: Theme,
    /// "Now": what the compliance and reviews screens and the request clocks start from.
    pub now: Timestamp,
    pub authors: Authors,
    pub status: Option<(Level, String)>,
    pub vp: Viewport,
}

impl Ctx {
    pub fn new(source: Box<dyn Source>, theme: Theme, now: Timestamp) -> Ctx {
        Ctx {
            source,
            theme,
            now,
            authors: Authors::default(),
            status: None,
            vp: Viewport {
                rows: Rect::new(0, 2, 80, 20),
                detail_height: 20,
                help_height: 20,
                ..Viewport::default()
            },
        }
    }

    /// Puts a message on the status line.
    pub fn say(&mut self, level: Level, text: String) {
        self.status = Some((level, text));
    }

    /// A key's record, read once.
    pub fn author(&mut self, pk: &PublicKey) -> Option<KeyRecord> {
        self.authors.get(&*self.source, pk)
    }
}

/// What a component asks the shell to do after a key, because it reaches past the component:
/// an overlay, another screen, or state two screens share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    None,
    /// Open a prompt with this text in it.
    Prompt(PromptKind, String),
    /// Open the type picker with this row selected.
    Picker(usize),
    /// Back to the timeline.
    Back,
    /// Show exactly `seqs` in the timeline, with `seq` open in the detail.
    ShowEntries {
        label: String,
        seqs: Vec<u64>,
        seq: u64,
    },
    /// Move the as-of instant the Compliance and Reviews screens share.
    SetAsOf(Timestamp),
    StartVerify,
    /// Show the entry verification failed at, and say why.
    JumpToFailure {
        seq: u64,
        message: String,
    },
}
