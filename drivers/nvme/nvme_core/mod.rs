// SPDX-License-Identifier: GPL-2.0

//! Transport-independent controller logic, as the C driver's `core.c`:
//! controller names, the admin command interface a transport provides,
//! discovering what a controller and its namespaces are, the controller's
//! state, and what the controller asks of its transport.

pub mod admin;
pub mod apst;
pub mod identify;
pub mod instance;
pub mod namespace;
pub mod ns_attributes;
pub mod state;
pub mod transport;
