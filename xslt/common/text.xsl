<?xml version="1.0" encoding="UTF-8"?>
<!--
  The text model shared by the plain-text and HTML outputs:
  - which elements are blocks, containers or inline (anything unknown is inline,
    or a container when it holds blocks: its text is never dropped);
  - which reading of a choice/app is shown (param choice);
  - when lb/pb/cb joins a word broken across lines, pages or columns;
  - what the reading text leaves out: deletions (del: a subst shows its add), forme work
    (fw: running heads and catch words, which would double a word), and the registers an
    edition keeps in <back> (listPerson, listPlace, ...: the site shows them elsewhere);
  - how notes are numbered (document order, the notes of <text> that are shown).
  Plus mode te:text, the plain-text rendering.
-->
<xsl:stylesheet version="3.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:tei="http://www.tei-c.org/ns/1.0"
  xmlns:te="urn:tei-edition"
  xmlns:map="http://www.w3.org/2005/xpath-functions/map"
  exclude-result-prefixes="#all">

  <!-- Preferred readings of choice, in order; 'orig' is a shortcut for the source's own readings. -->
  <xsl:param name="choice" as="xs:string" select="'corr reg expan'"/>

  <xsl:include href="omitted.xsl"/>

  <xsl:variable name="te:choice-order" as="xs:string*" select="
    if (normalize-space($choice) = ('orig', 'original', 'diplomatic')) then ('sic', 'orig', 'abbr')
    else if (normalize-space($choice) = ('corr', 'reg', 'expan', 'regularised', '')) then ('corr', 'reg', 'expan')
    else tokenize(normalize-space($choice), '[\s,]+')"/>

  <!-- Elements that are one block (a paragraph-like unit) of the reading text. -->
  <xsl:variable name="te:block-names" as="xs:string*" select="('p', 'ab', 'head', 'dateline', 'salute',
    'signed', 'byline', 'docTitle', 'docAuthor', 'docDate', 'docImprint', 'titlePart', 'l', 'item',
    'label', 'trailer', 'addrLine', 'speaker', 'stage', 'row', 'bibl', 'castItem', 'figDesc')"/>
  <!-- Elements that only hold blocks. -->
  <xsl:variable name="te:container-names" as="xs:string*" select="('text', 'front', 'body', 'back',
    'group', 'div', 'div1', 'div2', 'div3', 'div4', 'div5', 'div6', 'div7', 'opener', 'closer', 'list',
    'listBibl', 'lg', 'floatingText', 'postscript', 'epigraph', 'argument', 'sp', 'table', 'figure',
    'titlePage', 'address', 'castList', 'letter')"/>

  <!-- Inline: a text node, or an element that is no block/container and holds none.
       Notes are always inline (a marker), whatever they hold.
       An element of the source that holds no block is inline whatever its name (a block is in
       te:holds-blocks itself, and so is an element around one outside a note): that common
       case is answered first. -->
  <xsl:function name="te:is-inline" as="xs:boolean">
    <xsl:param name="n" as="node()"/>
    <xsl:sequence select="
      if (not($n instance of element())) then true()
      else if (root($n) is $te:source and not(map:contains($te:holds-blocks, generate-id($n)))) then true()
      else if ($n/self::tei:note) then true()
      else if ($n/self::tei:choice or $n/self::tei:app) then (empty(te:chosen($n)) or te:is-inline(te:chosen($n)))
      else if (map:contains($te:structural, local-name($n))) then false()
      else if ($n/self::tei:quote or $n/self::tei:q or $n/self::tei:said or $n/self::tei:cit)
        then not(exists($n/*[not(te:is-inline(.))]))
      else if (root($n) is $te:source) then not(map:contains($te:holds-blocks, generate-id($n)))
      else not(exists($n//*[local-name() = ($te:block-names, $te:container-names)]
                             [not(ancestor::tei:note[ancestor::* intersect $n])]))"/>
  </xsl:function>

  <!-- Computed once per transformation (a subtree scan per element was quadratic): the
       elements that hold a block or container, not counting blocks inside a note below them. -->
  <xsl:variable name="te:source" select="root(.)"/>
  <xsl:variable name="te:holds-blocks" as="map(xs:string, xs:boolean)" select="
    let $blocks := //*[map:contains($te:structural, local-name())]
    return map:merge((
      $blocks[empty(ancestor::tei:note)]/ancestor-or-self::*,
      for $b in $blocks[ancestor::tei:note] return $b/ancestor-or-self::*[. &gt;&gt; $b/ancestor::tei:note[1]]
    ) ! map{generate-id(.): true()}, map{'duplicates': 'use-first'})"/>
  <!-- Block and container names as a map: one lookup instead of comparing with fifty names. -->
  <xsl:variable name="te:structural" as="map(xs:string, xs:boolean)" select="
    map:merge(($te:block-names, $te:container-names) ! map{.: true()}, map{'duplicates': 'use-first'})"/>

  <!-- The child of choice/app that is shown. -->
  <xsl:function name="te:chosen" as="node()?">
    <xsl:param name="choice" as="element()"/>
    <xsl:sequence select="
      if ($choice/self::tei:app) then ($choice/tei:lem, $choice/tei:rdg)[1]
      else ((for $name in $te:choice-order return $choice/*[local-name() = $name]), $choice/*)[1]"/>
  </xsl:function>

  <!-- Does this lb/pb/cb (or fw) join the word around it? Breaks next to each other (with only
       white space and forme work between) act as one: they join when one says @break="no", or
       when none says @break="yes", a hyphen ends the text before them and a word follows,
       unless it is a conjunction (a suspended hyphen: "Park-<lb/>und Garten"). -->
  <xsl:function name="te:joins" as="xs:boolean">
    <xsl:param name="br" as="element()"/>
    <xsl:sequence select="if (root($br) is $te:source) then exists($br intersect $te:joining) else te:breaks-join($br)"/>
  </xsl:function>

  <!-- The breaks of the source that join, found once (each is asked about up to three times:
       by itself and by the text on either side). A plain path first finds the breaks that
       might: with @break, after a break, fw, a hyphen, or white space after a break (so the
       rightmost of a run); a run that joins then brings its members to the left. Only a path
       here: a function call per break, or looking at the text on both sides of each, made a
       letter with a break on every line a fifth slower. -->
  <xsl:variable name="te:joining" as="element()*" select="
    for $b in //(tei:lb | tei:pb | tei:cb | tei:fw)[@break
      or preceding-sibling::node()[1][self::tei:lb or self::tei:pb or self::tei:cb or self::tei:fw
        or (self::text() and (contains(., '-') or (not(normalize-space())
            and preceding-sibling::node()[1][self::tei:lb or self::tei:pb or self::tei:cb or self::tei:fw])))]]
    return if (te:breaks-join($b)) then ($b, te:break-run($b, true())[self::tei:lb or self::tei:pb or self::tei:cb or self::tei:fw])
      else ()"/>

  <!-- The same, worked out (most breaks stand alone between two words: the run is looked for
       only when one is next to a break, fw or white space). -->
  <xsl:function name="te:breaks-join" as="xs:boolean">
    <xsl:param name="br" as="element()"/>
    <xsl:variable name="prev" select="$br/preceding-sibling::node()[1]"/>
    <xsl:variable name="next" select="$br/following-sibling::node()[1]"/>
    <xsl:sequence select="
      if ($br/@break = 'no') then true()
      else if (te:in-run($prev) or te:in-run($next)) then te:run-joins($br)
      else exists($br[self::tei:lb or self::tei:pb or self::tei:cb]) and not($br/@break = 'yes')
        and te:hyphen-joins(string($prev[self::text()]), $next)"/>
  </xsl:function>

  <!-- The same for a break with others around it. -->
  <xsl:function name="te:run-joins" as="xs:boolean">
    <xsl:param name="br" as="element()"/>
    <xsl:variable name="left" select="te:break-run($br, true())"/>
    <xsl:variable name="run" select="($left, $br, te:break-run($br, false()))"/>
    <xsl:variable name="breaks" select="$run[self::tei:lb or self::tei:pb or self::tei:cb]"/>
    <xsl:sequence select="exists($breaks) and not($breaks/@break = 'yes') and ($breaks/@break = 'no'
      or te:hyphen-joins(string($left[last()][self::text()]), $run[last()]))"/>
  </xsl:function>

  <!-- Does a hyphen at the end of the text before a break join it to what follows? Only when a
       word follows (no <space/>) that is no conjunction, as text or inside an element
       ("Park-<lb/><hi>und</hi> Garten"). -->
  <xsl:function name="te:hyphen-joins" as="xs:boolean">
    <xsl:param name="before" as="xs:string"/>
    <xsl:param name="after" as="node()?"/>
    <xsl:sequence select="contains($before, '-') and matches($before, '\-\s*$') and not($after/self::tei:space)
      and not(matches(string($after[self::text() or self::*]), $te:after-suspended-hyphen))"/>
  </xsl:function>

  <!-- Is this node part of a run of breaks (a break, fw, or white space only)? -->
  <xsl:function name="te:in-run" as="xs:boolean">
    <xsl:param name="n" as="node()?"/>
    <xsl:sequence select="exists($n[self::tei:lb or self::tei:pb or self::tei:cb or self::tei:fw])
      or ($n instance of text() and normalize-space($n) = '')"/>
  </xsl:function>

  <!-- The nodes beside a break on one side ($left, else right) that belong to its run (breaks,
       fw, white space), followed by the first node that does not, if any. -->
  <xsl:function name="te:break-run" as="node()*">
    <xsl:param name="n" as="node()"/>
    <xsl:param name="left" as="xs:boolean"/>
    <xsl:variable name="next" select="if ($left) then $n/preceding-sibling::node()[1] else $n/following-sibling::node()[1]"/>
    <xsl:sequence select="if (te:in-run($next)) then ($next, te:break-run($next, $left)) else $next"/>
  </xsl:function>

  <!-- Words that follow a suspended hyphen ("Park- und Gartenseite", "pre- and post-war"). -->
  <xsl:variable name="te:after-suspended-hyphen" as="xs:string"
    select="'^\s*(und|oder|bzw\.|sowie|bis|wie|als|and|or|nor|to|et|ou)(\s|$)'"/>

  <!-- Is this lb a visible line break (in a signature, address, dateline, salute, verse line)? -->
  <xsl:function name="te:keeps-line" as="xs:boolean">
    <xsl:param name="lb" as="element()"/>
    <xsl:sequence select="exists($lb/ancestor::*[self::tei:signed or self::tei:address or self::tei:salute
      or self::tei:dateline or self::tei:byline or self::tei:docImprint or self::tei:closer or self::tei:opener][1])
      and empty($lb/ancestor::tei:p)"/>
  </xsl:function>

  <!-- Is this note shown in the endnotes (so numbered)? Not inline, nor in what the reading
       text leaves out. -->
  <xsl:function name="te:shown-note" as="xs:boolean">
    <xsl:param name="note" as="element()"/>
    <xsl:sequence select="not($note/@place = 'inline') and not(te:left-out($note))"/>
  </xsl:function>

  <!-- Number of a note: its place among the shown notes of the text, in document order. -->
  <xsl:function name="te:note-number" as="xs:integer">
    <xsl:param name="note" as="element()"/>
    <xsl:choose>
      <xsl:when test="root($note) is $te:source">
        <xsl:sequence select="$te:note-numbers(generate-id($note))"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="n" as="xs:integer">
          <xsl:number select="$note" level="any" count="tei:note[te:shown-note(.)]"/>
        </xsl:variable>
        <xsl:sequence select="$n"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:function>

  <!-- Numbers of all notes, computed once (xsl:number per note was quadratic), in the order of
       their markers: a note where it stands, or the first pointer to a note gathered elsewhere. -->
  <xsl:variable name="te:note-numbers" as="map(xs:string, xs:integer)" select="
    let $pointers := //tei:ptr[@target][te:note-pointed-by(.)] | //tei:ref[@target][te:note-pointed-by(.)],
        $all := if (empty($pointers)) then //tei:note[te:shown-note(.)] ! generate-id(.) else
          let $markers := //tei:note[te:shown-note(.)][not(@xml:id and te:pointed-note(.))] | $pointers,
              $notes := distinct-values($markers ! generate-id((self::tei:note, te:note-pointed-by(.))[1]))
          return ($notes, //tei:note[te:shown-note(.)][not(generate-id(.) = $notes)] ! generate-id(.))
    return map:merge(for $i in 1 to count($all) return map{$all[$i]: $i})"/>

  <!-- Notes pointed to from the text (ptr or ref target="#id"), as editions that gather their
       notes in one place encode them: the pointer is the note's marker, and the note makes none
       where it stands. -->
  <xsl:key name="te:pointed" match="tei:ptr[@target] | tei:ref[@target]"
           use="tokenize(@target)[starts-with(., '#')] ! substring(., 2)"/>
  <xsl:key name="te:note-id" match="tei:note[@xml:id]" use="@xml:id"/>

  <xsl:function name="te:pointed-note" as="xs:boolean">
    <xsl:param name="note" as="element()"/>
    <xsl:sequence select="exists($note/@xml:id) and exists(key('te:pointed', string($note/@xml:id), root($note)))"/>
  </xsl:function>

  <!-- The shown note a pointer's first '#' target names, if any. -->
  <xsl:function name="te:note-pointed-by" as="element()?">
    <xsl:param name="pointer" as="element()"/>
    <xsl:sequence select="(tokenize($pointer/@target)[starts-with(., '#')][1]
      ! key('te:note-id', substring(., 2), root($pointer)))[te:shown-note(.)][1]"/>
  </xsl:function>

  <!-- The notes of a text, in order. -->
  <xsl:function name="te:notes" as="element()*">
    <xsl:param name="text" as="element()*"/>
    <xsl:sequence select="sort($text//tei:note[te:shown-note(.)], (), te:note-number#1)"/>
  </xsl:function>

  <!-- Text nodes next to a joining line break lose the hyphen and the white space at the join. -->
  <xsl:function name="te:text-value" as="xs:string">
    <xsl:param name="t" as="text()"/>
    <xsl:variable name="next" select="$t/following-sibling::node()[1]"/>
    <xsl:variable name="prev" select="$t/preceding-sibling::node()[1]"/>
    <xsl:variable name="s" select="if ($next[self::tei:lb or self::tei:pb or self::tei:cb or self::tei:fw][te:joins(.)])
      then replace($t, '(\-\s*|\s+)$', '') else string($t)"/>
    <xsl:sequence select="if ($prev[self::tei:lb or self::tei:pb or self::tei:cb or self::tei:fw][te:joins(.)])
      then replace($s, '^\s+', '') else $s"/>
  </xsl:function>

  <!-- ===== mode te:text: the plain reading text ===== -->

  <!-- Blocks: a sequence of strings, one per block. Adjacent inline nodes form one block. -->
  <xsl:template match="*" mode="te:blocks">
    <xsl:for-each-group select="node()" group-adjacent="te:is-inline(.)">
      <xsl:choose>
        <xsl:when test="current-grouping-key()">
          <xsl:variable name="s" select="te:clean(string-join(te:inline(current-group())))"/>
          <xsl:if test="$s != ''">
            <xsl:sequence select="$s"/>
          </xsl:if>
        </xsl:when>
        <xsl:otherwise>
          <xsl:apply-templates select="current-group()" mode="te:blocks"/>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:for-each-group>
  </xsl:template>

  <xsl:template match="tei:item[not(te:is-inline(.))]" mode="te:blocks" priority="2">
    <xsl:variable name="blocks" as="xs:string*"><xsl:next-match/></xsl:variable>
    <xsl:variable name="mark" select="if (parent::tei:list/@type = ('ordered', 'numbered') or parent::tei:list/@rend = ('numbered', 'ordered'))
      then count(preceding-sibling::tei:item) + 1 || '. ' else '- '"/>
    <xsl:sequence select="for $i in 1 to count($blocks) return (if ($i = 1) then $mark else '  ') || $blocks[$i]"/>
  </xsl:template>

  <xsl:template match="tei:choice | tei:app" mode="te:blocks" priority="2">
    <xsl:apply-templates select="te:chosen(.)" mode="te:blocks"/>
  </xsl:template>

  <!-- Block quotations: set off by quotation marks around the first and last block. -->
  <xsl:template match="tei:quote | tei:q | tei:said" mode="te:blocks" priority="2">
    <xsl:variable name="blocks" as="xs:string*"><xsl:next-match/></xsl:variable>
    <xsl:variable name="n" select="count($blocks)"/>
    <xsl:sequence select="for $i in 1 to $n return
      (if ($i = 1) then '“' else '') || $blocks[$i] || (if ($i = $n) then '”' else '')"/>
  </xsl:template>

  <xsl:template match="tei:teiHeader | tei:facsimile | tei:standOff | tei:sourceDoc" mode="te:blocks" priority="3"/>

  <!-- Normalise white space; a kept line break (U+2028) becomes a newline. -->
  <xsl:function name="te:clean" as="xs:string">
    <xsl:param name="s" as="xs:string"/>
    <xsl:variable name="n" select="normalize-space($s)"/>
    <xsl:sequence select="if (contains($n, '&#x2028;')) then
      normalize-space(replace($n, '\s*&#x2028;[\s&#x2028;]*', '&#x2028;')) => translate('&#x2028;', '&#10;') else $n"/>
  </xsl:function>

  <!-- Inline rendering of a node sequence to a string. -->
  <xsl:function name="te:inline" as="xs:string">
    <xsl:param name="nodes" as="node()*"/>
    <xsl:variable name="parts" as="xs:string*">
      <xsl:apply-templates select="$nodes" mode="te:inline"/>
    </xsl:variable>
    <xsl:sequence select="string-join($parts)"/>
  </xsl:function>

  <xsl:template match="text()" mode="te:inline">
    <xsl:sequence select="string(.)"/>
  </xsl:template>
  <!-- (Text next to fw only, with no break on its other side, is rare: leaving fw out of this
       pattern, tried on every text node, saved 3% of the text output's time.) -->
  <xsl:template match="text()[following-sibling::node()[1][self::tei:lb or self::tei:pb or self::tei:cb]
                              or preceding-sibling::node()[1][self::tei:lb or self::tei:pb or self::tei:cb]]"
                mode="te:inline" priority="2">
    <xsl:sequence select="te:text-value(.)"/>
  </xsl:template>
  <xsl:template match="*" mode="te:inline">
    <xsl:apply-templates mode="te:inline"/>
  </xsl:template>
  <xsl:template match="comment() | processing-instruction()" mode="te:inline"/>
  <xsl:template match="tei:space" mode="te:inline">
    <xsl:sequence select="' '"/>
  </xsl:template>
  <xsl:template match="tei:lb | tei:pb | tei:cb" mode="te:inline">
    <xsl:sequence select="if (te:joins(.)) then '' else ' '"/>
  </xsl:template>
  <!-- In signatures, addresses and the like a line break is kept (U+2028 survives normalize-space). -->
  <xsl:template match="tei:lb[te:keeps-line(.)]" mode="te:inline" priority="2">
    <xsl:sequence select="if (te:joins(.)) then '' else '&#x2028;'"/>
  </xsl:template>
  <xsl:template match="tei:choice | tei:app" mode="te:inline">
    <xsl:apply-templates select="te:chosen(.)" mode="te:inline"/>
  </xsl:template>
  <xsl:template match="tei:note[@place = 'inline']" mode="te:inline" priority="2">
    <xsl:apply-templates mode="te:inline"/>
  </xsl:template>
  <xsl:template match="tei:note" mode="te:inline">
    <xsl:sequence select="'[' || te:note-number(.) || ']'"/>
  </xsl:template>
  <xsl:template match="tei:note[@xml:id][te:pointed-note(.)]" mode="te:inline" priority="3"/>
  <xsl:template match="tei:ptr[@target] | tei:ref[@target]" mode="te:inline">
    <xsl:variable name="note" select="te:note-pointed-by(.)"/>
    <xsl:choose>
      <xsl:when test="$note"><xsl:sequence select="'[' || te:note-number($note) || ']'"/></xsl:when>
      <xsl:otherwise><xsl:apply-templates mode="te:inline"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
  <xsl:template match="tei:q | tei:quote | tei:said | tei:soCalled" mode="te:inline">
    <xsl:sequence select="'“'"/>
    <xsl:apply-templates mode="te:inline"/>
    <xsl:sequence select="'”'"/>
  </xsl:template>
  <!-- Block-level elements met inside an inline context (e.g. a p inside a note). -->
  <xsl:template match="*[local-name() = $te:block-names]" mode="te:inline">
    <xsl:sequence select="' '"/>
    <xsl:apply-templates mode="te:inline"/>
    <xsl:sequence select="' '"/>
  </xsl:template>
  <xsl:template match="tei:cell" mode="te:inline">
    <xsl:apply-templates mode="te:inline"/>
    <xsl:sequence select="if (following-sibling::tei:cell) then ' | ' else ''"/>
  </xsl:template>

  <!-- A note as one paragraph of endnote text. -->
  <xsl:function name="te:note-text" as="xs:string">
    <xsl:param name="note" as="element()"/>
    <xsl:variable name="blocks" as="xs:string*">
      <xsl:apply-templates select="$note" mode="te:blocks"/>
    </xsl:variable>
    <xsl:sequence select="normalize-space(string-join($blocks, ' '))"/>
  </xsl:function>

</xsl:stylesheet>
