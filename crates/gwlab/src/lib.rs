//! gwlab core
