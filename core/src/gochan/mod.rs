//! The Go channel model: channels ([`channel`]) with their wait queues of
//! parked goroutines ([`waitq`]: FIFO, O(1) withdrawal), goroutine programs
//! ([`program`]) and the behaviour templates that expand to programs
//! ([`behavior`]); the runtime that holds a world's goroutines, channels and
//! WaitGroups (`runtime`), runs their programs (`exec`), finds stuck
//! goroutines and Go's deadlock verdict (`stuck`) and describes them
//! (`view`). The world ([`crate::world`]) owns one runtime and lends it the
//! event queue, the RNG and the ledger (its `Kit`) while a Go event runs.
//!
//! Semantics follow Go's runtime (`chan.go`, `select.go`) exactly; see each
//! module. The one deliberate extension is live capacity change
//! ([`channel::Channel::set_cap`]).

pub mod behavior;
pub mod channel;
pub(crate) mod commands;
pub(crate) mod exec;
pub(crate) mod replies;
pub mod program;
pub(crate) mod runtime;
pub(crate) mod stuck;
pub(crate) mod view;
pub mod waitq;
