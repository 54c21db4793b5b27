--
-- PostgreSQL database dump
--

\restrict orcppFiXALi0RHKleQmXnggNJox3dWx2Yqigdc13HINvny4VNUxP1cU7rMCT5Sq

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: Sch "q" '$$' \; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA "Sch ""q"" '$$' \";


ALTER SCHEMA "Sch ""q"" '$$' \" OWNER TO postgres;

--
-- Name: scribe; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA scribe;


ALTER SCHEMA scribe OWNER TO postgres;

--
-- Name: SCHEMA scribe; Type: COMMENT; Schema: -; Owner: postgres
--

COMMENT ON SCHEMA scribe IS 'pg_scribe: continuous plain-SQL backup';


--
-- Name: scribe; Type: EXTENSION; Schema: -; Owner: -
--

-- pg_scribe: CREATE EXTENSION scribe is left out; restoring does not need pg_scribe


--
-- Name: EXTENSION scribe; Type: COMMENT; Schema: -; Owner: 
--



SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: t;--; Type: TABLE; Schema: Sch "q" '$$' \; Owner: postgres
--

CREATE TABLE "Sch ""q"" '$$' \"."t;--" (
    id integer NOT NULL,
    "v'x" text,
    b bytea,
    j jsonb,
    n numeric,
    f double precision,
    a text[]
);


ALTER TABLE "Sch ""q"" '$$' \"."t;--" OWNER TO postgres;

--
-- Name: full_t; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.full_t (
    a text,
    b integer
);

ALTER TABLE ONLY public.full_t REPLICA IDENTITY FULL;


ALTER TABLE public.full_t OWNER TO postgres;

--
-- Name: ident; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.ident (
    id integer NOT NULL,
    n integer NOT NULL,
    v text
);


ALTER TABLE public.ident OWNER TO postgres;

--
-- Name: ident_n_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

ALTER TABLE public.ident ALTER COLUMN n ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.ident_n_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Data for Name: t;--; Type: TABLE DATA; Schema: Sch "q" '$$' \; Owner: postgres
--

COPY "Sch ""q"" '$$' \"."t;--" (id, "v'x", b, j, n, f, a) FROM stdin;
1	it's \\ a\n\\.\nb	\\x00ff	{"k": "\\"q\\""}	NaN	-0	{"a b",NULL,"\\\\"}
\.


--
-- Data for Name: full_t; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.full_t (a, b) FROM stdin;
x	1
x	1
\.


--
-- Data for Name: ident; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.ident (id, n, v) FROM stdin;
\.


--
-- Name: ident_n_seq; Type: SEQUENCE SET; Schema: public; Owner: postgres
--

SELECT pg_catalog.setval('public.ident_n_seq', 1, false);


--
-- Name: t;-- t;--_pkey; Type: CONSTRAINT; Schema: Sch "q" '$$' \; Owner: postgres
--

ALTER TABLE ONLY "Sch ""q"" '$$' \"."t;--"
    ADD CONSTRAINT "t;--_pkey" PRIMARY KEY (id);


--
-- Name: ident ident_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.ident
    ADD CONSTRAINT ident_pkey PRIMARY KEY (id);


--
-- PostgreSQL database dump complete
--

\unrestrict orcppFiXALi0RHKleQmXnggNJox3dWx2Yqigdc13HINvny4VNUxP1cU7rMCT5Sq

