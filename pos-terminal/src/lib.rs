//! The cashier's touchscreen terminal: identifies the diner, prices the meal
//! with `canteen-core`, stores every sale durably on the terminal before its
//! receipt prints, and syncs sales to the backend exactly once when the
//! network allows.
//!
//! It never needs the network to sell a meal.
