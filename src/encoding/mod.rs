pub mod intset;
