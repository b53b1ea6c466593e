//! The Go channel model: channels ([`channel`]) with their wait queues of
//! parked goroutines ([`waitq`]: FIFO, O(1) withdrawal), goroutine programs
//! ([`program`]) and the behaviour templates that expand to programs
//! ([`behavior`]). The world ([`crate::world`]) runs them on virtual time.
//!
//! Semantics follow Go's runtime (`chan.go`, `select.go`) exactly; see each
//! module. The one deliberate extension is live capacity change
//! ([`channel::Channel::set_cap`]).

pub mod behavior;
pub mod channel;
pub(crate) mod exec;
pub mod program;
pub(crate) mod runtime;
pub(crate) mod stuck;
pub mod waitq;
