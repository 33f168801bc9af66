// Asio and Beast compiled once for the whole program (BOOST_*_SEPARATE_COMPILATION): every
// other translation unit includes only their declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
