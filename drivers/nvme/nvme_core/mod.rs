// SPDX-License-Identifier: GPL-2.0

//! Transport-independent controller logic, as the C driver's `core.c`:
//! controller names, the admin command interface a transport provides, and
//! discovering what a controller and its namespaces are.

pub mod admin;
pub mod identify;
pub mod instance;
pub mod namespace;
